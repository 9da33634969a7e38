/// Namespace of the Generation module; the real contents arrive with issue 3.
public enum GenerationModule {}
