import Tensors

/// Weights of one lightning attention layer (DESIGN.md §1.3).
public struct LightningAttentionWeights: Sendable {
    /// [3·H·d, D]; head h owns rows h·3d ..< (h+1)·3d as [q | k | v].
    public var qkvProjection: TensorView
    /// [H·d, D]
    public var outputGate: TensorView
    /// [H·d], RMSNorm over all heads at once.
    public var norm: [Float]
    /// [D, H·d]
    public var outputProjection: TensorView
}

/// Weights of one softmax attention layer (DESIGN.md §1.4).
public struct SoftmaxAttentionWeights: Sendable {
    /// [H·d, D]
    public var query: TensorView
    /// [H_kv·d, D]
    public var key: TensorView
    /// [H_kv·d, D]
    public var value: TensorView
    /// [D, H·d]
    public var output: TensorView
}

/// One SwiGLU expert: `W2( SiLU(W1 x) ⊙ W3 x )`.
public struct ExpertWeights: Sendable {
    /// W1, [I, D]
    public var gate: TensorView
    /// W3, [I, D]
    public var up: TensorView
    /// W2, [D, I]
    public var down: TensorView
}

/// The sparse mixture of experts of one layer (DESIGN.md §1.5).
public struct MixtureOfExpertsWeights: Sendable {
    /// [E, D]
    public var router: TensorView
    public var experts: [ExpertWeights]
}

public enum TokenMixerWeights: Sendable {
    case lightning(LightningAttentionWeights)
    case softmax(SoftmaxAttentionWeights)
}

public struct DecoderLayerWeights: Sendable {
    /// [D]
    public var inputNorm: [Float]
    /// [D]
    public var postAttentionNorm: [Float]
    public var mixer: TokenMixerWeights
    public var moe: MixtureOfExpertsWeights
}

public struct ModelWeights: Sendable {
    /// [V, D]
    public var embedding: TensorView
    public var layers: [DecoderLayerWeights]
    /// [D]
    public var finalNorm: [Float]
    /// [V, D] (the embedding when tied)
    public var lmHead: TensorView
}
