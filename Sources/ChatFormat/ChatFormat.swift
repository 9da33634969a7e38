/// Namespace of the ChatFormat module; the real contents arrive with issue 3.
public enum ChatFormatModule {}
