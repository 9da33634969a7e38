/// Namespace of the Tokenization module; the real contents arrive with issue 3.
public enum TokenizationModule {}
