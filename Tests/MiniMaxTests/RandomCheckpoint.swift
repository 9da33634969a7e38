import Foundation
import MiniMax
import SafeTensors
import Tensors
import TestSupport

/// Writes small random-weight checkpoints for tests that need a model but no reference numbers
/// (cache equivalence, error handling). Parity against transformers uses committed goldens instead.
enum RandomCheckpoint {
    nonisolated(unsafe) static let baseConfig: [String: Any] = [
        "model_type": "minimax", "vocab_size": 61, "hidden_size": 20, "intermediate_size": 12,
        "num_hidden_layers": 4, "num_attention_heads": 3, "num_key_value_heads": 1, "head_dim": 6,
        "num_local_experts": 4, "num_experts_per_tok": 2, "block_size": 4, "rms_norm_eps": 1e-5,
        "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"],
        "rope_parameters": ["rope_type": "default", "rope_theta": 10000.0],
    ]

    /// Writes `config` and random weights for it into `directory`; returns the configuration.
    @discardableResult
    static func write(
        _ config: [String: Any] = baseConfig, to directory: URL, dtype: DType = .float32, seed: UInt64 = 1
    ) throws -> Configuration {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        let configuration = try Configuration.decode(data)
        // scale 2: larger than the default so that routing and attention are far from uniform.
        try RandomCheckpointWriter.write(configuration, to: directory, dtype: dtype, seed: seed, scale: 2)
        return configuration
    }
}
