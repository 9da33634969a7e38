/// Checkpoint tensor names (DESIGN.md §1.6). The original release stores one tensor per expert
/// under `block_sparse_moe`; a transformers save may instead hold fused `mlp.experts.gate_up_proj`
/// [E, 2I, D] (gate rows first) and `mlp.experts.down_proj` [E, D, I].
public enum TensorNames {
    public static let embedding = "model.embed_tokens.weight"
    public static let finalNorm = "model.norm.weight"
    public static let lmHead = "lm_head.weight"

    public static func layer(_ l: Int) -> String { "model.layers.\(l)" }
    public static func inputNorm(_ l: Int) -> String { "\(layer(l)).input_layernorm.weight" }
    public static func postAttentionNorm(_ l: Int) -> String { "\(layer(l)).post_attention_layernorm.weight" }

    public static func lightning(_ l: Int) -> [String] {
        ["qkv_proj", "output_gate", "norm", "out_proj"].map { "\(layer(l)).self_attn.\($0).weight" }
    }

    public static func softmax(_ l: Int) -> [String] {
        ["q_proj", "k_proj", "v_proj", "o_proj"].map { "\(layer(l)).self_attn.\($0).weight" }
    }

    /// The two module names the MoE block goes by.
    public static let moeModules = ["block_sparse_moe", "mlp"]

    public static func router(_ l: Int, module: String) -> String { "\(layer(l)).\(module).gate.weight" }

    /// w1 (gate), w3 (up), w2 (down) of expert e, in that order.
    public static func expert(_ l: Int, _ e: Int, module: String) -> [String] {
        ["w1", "w3", "w2"].map { "\(layer(l)).\(module).experts.\(e).\($0).weight" }
    }

    public static func fusedGateUp(_ l: Int, module: String) -> String { "\(layer(l)).\(module).experts.gate_up_proj" }
    public static func fusedDown(_ l: Int, module: String) -> String { "\(layer(l)).\(module).experts.down_proj" }

    /// Buffers a transformers save may carry that are recomputed from the config, never loaded.
    public static let derivedBufferSuffixes = ["slope_rate", "query_decay", "key_decay", "diagonal_decay", "inv_freq"]

    public static func isDerivedBuffer(_ name: String) -> Bool {
        derivedBufferSuffixes.contains { name.hasSuffix(".\($0)") || name == $0 }
    }
}
