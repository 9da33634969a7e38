/// Namespace of the MiniMax module.
public enum MiniMaxModule {}
