import Foundation
import MiniMax

/// The real MiniMax-M1 configuration's fields (../shared/minimax-m1/config.json, DESIGN.md §1),
/// written out so the tests run in a fresh clone without the shared directory.
enum M1Fixture {
    static var json: [String: Any] {
        [
            "model_type": "minimax_m1", "vocab_size": 200064, "hidden_size": 6144, "intermediate_size": 9216,
            "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 128,
            "num_local_experts": 32, "num_experts_per_tok": 2, "rotary_dim": 64, "rope_theta": 10_000_000,
            "rms_norm_eps": 1e-5, "postnorm": true, "tie_word_embeddings": false,
            "attn_type_list": (0..<80).map { $0 % 8 == 7 ? 1 : 0 },
        ]
    }

    static func configuration() throws -> Configuration {
        try Configuration.decode(try JSONSerialization.data(withJSONObject: json), path: "M1 fixture")
    }

    /// A tiny hybrid configuration (lightning and softmax layers, GQA, partial RoPE) for brute-force counts.
    static var tinyJSON: [String: Any] {
        [
            "model_type": "minimax", "vocab_size": 53, "hidden_size": 12, "intermediate_size": 10,
            "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
            "num_local_experts": 5, "num_experts_per_tok": 2, "block_size": 4, "rms_norm_eps": 1e-5,
            "partial_rotary_factor": 0.5,
            "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"],
            "rope_parameters": ["rope_type": "default", "rope_theta": 10000.0],
        ]
    }

    static func tiny(_ json: [String: Any] = tinyJSON) throws -> Configuration {
        try Configuration.decode(try JSONSerialization.data(withJSONObject: json), path: "tiny")
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
