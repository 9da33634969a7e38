/// What kind of token mixer a decoder layer uses.
public enum LayerKind: String, Sendable, Codable, CaseIterable {
    /// Lightning attention: linear attention with per-head decay, an O(1)-size state per sequence.
    case lightning
    /// Softmax attention with GQA and RoPE, a key/value cache that grows with the sequence.
    case softmax

    /// The transformers dialect spelling in `layer_types`.
    public init?(layerTypeName: String) {
        switch layerTypeName {
        case "linear_attention": self = .lightning
        case "full_attention": self = .softmax
        default: return nil
        }
    }

    /// The original dialect's code in `attn_type_list`.
    public init?(attentionTypeCode: Int) {
        switch attentionTypeCode {
        case 0: self = .lightning
        case 1: self = .softmax
        default: return nil
        }
    }

    public var layerTypeName: String { self == .lightning ? "linear_attention" : "full_attention" }
}

/// DeepNorm-style residual weights of one sub-layer: `h = α · residual + β · sublayer(residual)`.
public struct ResidualFactors: Sendable, Equatable, Codable {
    public var alpha: Float
    public var beta: Float

    public init(alpha: Float = 1, beta: Float = 1) {
        self.alpha = alpha
        self.beta = beta
    }
}
