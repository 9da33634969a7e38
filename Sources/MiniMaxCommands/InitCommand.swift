import ArgumentParser
import Foundation
import Generation
import MiniMax
import Tokenization
import Training

/// `minimax init`: a new model to train, in the Hugging Face layout.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new model for training: config.json, initial weights (N(0, 0.02²)) and tokenizer files.")

    @Option(name: .long, help: "The model's config.json (either dialect).")
    var config: String

    @Option(name: .long, help: "Directory to create (must not hold a model already).")
    var out: String

    @Option(name: .long, parsing: .unconditional, help: "Random seed of the initial weights.")
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp(
        "'byte' (bytes + M1's special tokens; needs vocab_size ≥ 262) or a directory whose tokenizer files to copy.",
        valueName: "byte|DIR"))
    var tokenizer: String = "byte"

    @Flag(name: .long, help: "Replace a model already in --out.")
    var force = false

    func validate() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("--out: \(out) is a file; give a directory to create") }
            if !force, FileManager.default.fileExists(atPath: URL(fileURLWithPath: out).appendingPathComponent("model.safetensors").path) {
                throw ValidationError("--out: \(out) already holds a model (model.safetensors); give a new directory or --force")
            }
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: config)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw ConfigurationError.missingFile(path: url.path) }
        let configuration = try Configuration.decode(data, path: url.path)
        let directory = URL(fileURLWithPath: out)
        let source = tokenizer == "byte" ? nil : URL(fileURLWithPath: tokenizer)
        if let source {
            let loaded = try ModelBundle.loadTokenizer(directory: source)
            guard loaded.vocabularySize <= configuration.vocabularySize else {
                throw CommandFailure("--tokenizer: \(tokenizer) has \(loaded.vocabularySize) ids, more than the config's vocab_size \(configuration.vocabularySize)")
            }
        } else if configuration.vocabularySize < 256 + ByteTokenizerFiles.specialTokens.count {
            throw CommandFailure("--tokenizer byte needs vocab_size ≥ \(256 + ByteTokenizerFiles.specialTokens.count), the config has \(configuration.vocabularySize)")
        }
        let parameters = ParameterStore(tree: ParameterTree(configuration))
        ParameterInitializer.initialize(parameters, seed: seed)
        try ModelFiles(configuration: configuration, source: source).write(parameters, to: directory)
        if source == nil { try ByteTokenizerFiles.write(to: directory, vocabularySize: configuration.vocabularySize) }
        writeOutput("wrote \(out): \(InspectCommand.layerPlan(configuration.layerKinds)); \(InspectCommand.format(parameters.count)) parameters\n")
    }
}
