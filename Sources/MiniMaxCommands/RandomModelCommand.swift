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

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Do not write a byte-level tokenizer beside the weights.")
    var noTokenizer = false

    func run() throws {
        guard let storage = DType(rawValue: dtype) else {
            throw ValidationError("--dtype must be float32, bfloat16 or float16, got '\(dtype)'")
        }
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
        let directory = URL(fileURLWithPath: out)
        try RandomCheckpointWriter.write(configuration, to: directory, dtype: storage, seed: seed)
        if configuration.vocabularySize >= 256 + ByteTokenizerFiles.specialTokens.count && !noTokenizer {
            try ByteTokenizerFiles.write(to: directory, vocabularySize: configuration.vocabularySize)
        }
        print("wrote \(out): \(InspectCommand.layerPlan(configuration.layerKinds)); \(InspectCommand.format(ParameterCount(configuration).total)) parameters")
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
