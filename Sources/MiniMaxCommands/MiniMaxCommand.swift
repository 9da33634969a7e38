import ArgumentParser

/// The `minimax` command line. Each subcommand lives in its own file.
public struct MiniMaxCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "minimax",
        abstract: "Run, serve, train (SFT and RL) and plan MiniMax-M1 family models on the CPU.",
        version: MiniMaxCommand.version,
        subcommands: MiniMaxCommand.allSubcommands
    )

    /// Registered subcommands (one line each, so parallel work merges cleanly).
    static var allSubcommands: [ParsableCommand.Type] {
        var commands: [ParsableCommand.Type] = []
        commands.append(VersionCommand.self)
        commands.append(InspectCommand.self)
        commands.append(LogitsCommand.self)
        commands.append(RandomModelCommand.self)
        commands.append(TokenizeCommand.self)
        commands.append(RenderCommand.self)
        commands.append(GenerateCommand.self)
        commands.append(ChatCommand.self)
        commands.append(BenchCommand.self)
        commands.append(KernelBenchCommand.self)
        commands.append(ServeCommand.self)
        commands.append(InitCommand.self)
        commands.append(TrainCommand.self)
        commands.append(GradCommand.self)
        commands.append(PerplexityCommand.self)
        commands.append(RLCommand.self)
        commands.append(EvalCommand.self)
        commands.append(PlotCommand.self)
        commands.append(PlanCommand.self)
        commands.append(PlanCheckCommand.self)
        commands.append(QuantizeCommand.self)
        return commands
    }

    public init() {}
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the engine version.")
    func run() throws { print(MiniMaxCommand.version) }
}

extension MiniMaxCommand {
    public static let version = "0.1.0"
}
