/// Namespace of the MiniMaxCommands module.
public enum MiniMaxCommandsModule {}
