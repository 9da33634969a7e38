import ArgumentParser
import Foundation
import Generation
import MiniMax
import Tensors

/// `minimax random-model`: a checkpoint of a given shape with random weights.
struct RandomModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "random-model",
        abstract: "Write a random-weight checkpoint (config.json + model.safetensors) for trying the engine out.")

    enum Preset: String, ExpressibleByArgument, CaseIterable {
        case tiny, benchSmall = "bench-small", benchLong = "bench-long", benchLongLightning = "bench-long-lightning"
    }

    @Option(name: .long, help: "Directory to create.")
    var out: String

    @Option(name: .long, help: "Shape: \(Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: Preset = .tiny

    @Option(name: .long, help: "A config.json to use instead of a preset.")
    var config: String?

    @Option(name: .long, help: "Weight dtype: float32, bfloat16 or float16.")
    var dtype: String = "float32"

    @Option(name: .long, parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Do not write a byte-level tokenizer beside the weights.")
    var noTokenizer = false

    /// Files this command writes; an existing directory holding anything else is not overwritten.
    static let writtenFiles: Set<String> = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]

    func validate() throws {
        guard let storage = DType(rawValue: dtype), !storage.isQuantized else {
            throw ValidationError("--dtype must be float32, bfloat16 or float16, got '\(dtype)'")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw ValidationError("--out: \(out) exists and is a file; give a directory to create (or one this command wrote, to overwrite)")
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        let foreign = contents.filter { !Self.writtenFiles.contains($0) && !$0.hasPrefix(".") }.sorted()
        if !foreign.isEmpty {
            throw ValidationError("--out: \(out) holds files random-model does not write (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")); give a new or empty directory")
        }
    }

    /// The most weights a random checkpoint may hold (2^33, 34 GB in float32).
    static let maximumParameters = 1 << 33

    func run() throws {
        let storage = DType(rawValue: dtype)!
        let configuration: Configuration
        if let config {
            let url = URL(fileURLWithPath: config)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ConfigurationError.missingFile(path: url.path)
            }
            configuration = try Configuration.decode(data, path: url.path)
        } else {
            configuration = try Configuration.decode(Data(Self.presetJSON(preset).utf8), path: "preset \(preset.rawValue)")
        }
        // A config.json within every limit may still describe trillions of weights: random
        // weights are for tests and benchmarks, so refuse more than 2^33 (34 GB in float32).
        let parameters = try ConfigurationSizes(configuration, path: config ?? "preset").totalParameters
        guard parameters <= Self.maximumParameters else {
            throw CommandFailure("\(config ?? "preset"): \(parameters) parameters; random-model writes at most \(Self.maximumParameters)")
        }
        let directory = URL(fileURLWithPath: out)
        try RandomCheckpointWriter.write(configuration, to: directory, dtype: storage, seed: seed)
        if configuration.vocabularySize >= 256 + ByteTokenizerFiles.specialTokens.count && !noTokenizer {
            try ByteTokenizerFiles.write(to: directory, vocabularySize: configuration.vocabularySize)
        } else {
            // An earlier run's tokenizer would not match this vocabulary.
            for name in ["tokenizer.json", "tokenizer_config.json"] {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            }
        }
        writeOutput("wrote \(out): \(InspectCommand.layerPlan(configuration.layerKinds)); \(InspectCommand.format(ParameterCount(configuration).total)) parameters\n")
    }

    /// Shapes from the issues: `tiny` for examples; the benchmark models of the speed work.
    static func presetJSON(_ preset: Preset) -> String {
        let plan8 = #"["linear_attention","linear_attention","linear_attention","linear_attention","linear_attention","linear_attention","linear_attention","full_attention"]"#
        switch preset {
        case .tiny:
            return #"{"model_type":"minimax","vocab_size":512,"hidden_size":64,"intermediate_size":96,"num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,"num_local_experts":4,"num_experts_per_tok":2,"block_size":16,"layer_types":["linear_attention","linear_attention","linear_attention","full_attention"],"rope_parameters":{"rope_type":"default","rope_theta":10000.0},"eos_token_id":259}"#
        case .benchSmall:
            return #"{"model_type":"minimax","vocab_size":32000,"hidden_size":1024,"intermediate_size":1536,"num_hidden_layers":8,"num_attention_heads":16,"num_key_value_heads":4,"head_dim":64,"num_local_experts":8,"num_experts_per_tok":2,"block_size":256,"layer_types":"# + plan8 + #","eos_token_id":259}"#
        case .benchLong:
            return #"{"model_type":"minimax","vocab_size":32000,"hidden_size":512,"intermediate_size":512,"num_hidden_layers":8,"num_attention_heads":8,"num_key_value_heads":2,"head_dim":64,"num_local_experts":4,"num_experts_per_tok":2,"block_size":256,"layer_types":"# + plan8 + #","eos_token_id":259}"#
        case .benchLongLightning:
            return #"{"model_type":"minimax","vocab_size":32000,"hidden_size":512,"intermediate_size":512,"num_hidden_layers":8,"num_attention_heads":8,"num_key_value_heads":2,"head_dim":64,"num_local_experts":4,"num_experts_per_tok":2,"block_size":256,"layer_types":["linear_attention","linear_attention","linear_attention","linear_attention","linear_attention","linear_attention","linear_attention","linear_attention"],"eos_token_id":259}"#
        }
    }
}
