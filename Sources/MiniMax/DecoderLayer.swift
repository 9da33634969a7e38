import Kernels
import Tensors

/// One decoder layer (DESIGN.md §1.2), post-norm with DeepNorm α/β:
///   n1 = RMSNorm_in(h);   h = α_attn · n1 + β_attn · Mixer(n1)
///   n2 = RMSNorm_post(h); h = α_mlp  · n2 + β_mlp  · MoE(n2)
/// (with `postnorm: false` the residual is the un-normalised h instead).
struct DecoderLayer {
    enum Mixer {
        case lightning(LightningAttentionLayer)
        case softmax(SoftmaxAttentionLayer)
    }

    let inputNorm: [Float]
    let postAttentionNorm: [Float]
    let mixer: Mixer
    let moe: MixtureOfExperts
    let attentionResidual: ResidualFactors
    let mlpResidual: ResidualFactors
    let normEpsilon: Float
    let residualIsNormalized: Bool

    /// h: [T, D] → [T, D]
    func forward(_ h: Matrix, cache: inout LayerCache, profile: ForwardProfile? = nil) throws -> Matrix {
        let n1 = profile.measure(.norms) { RMSNorm.apply(h, weight: inputNorm, eps: normEpsilon) }
        let mixed: Matrix = try profile.measure(mixerPart) { try cache.mutate(
            keyValue: { kv in
                guard case .softmax(let layer) = mixer else { throw ModelError.cacheMismatch }
                return layer.forward(n1, cache: &kv)
            },
            linear: { state in
                guard case .lightning(let layer) = mixer else { throw ModelError.cacheMismatch }
                return layer.forward(n1, cache: &state)
            }) }
        let (afterAttention, n2) = profile.measure(.norms) {
            let afterAttention = Self.residual(attentionResidual, residualIsNormalized ? n1 : h, mixed)
            return (afterAttention, RMSNorm.apply(afterAttention, weight: postAttentionNorm, eps: normEpsilon))
        }
        let expertsOut = profile.measure(.mixtureOfExperts) { moe.forward(n2) }
        return profile.measure(.norms) { Self.residual(mlpResidual, residualIsNormalized ? n2 : afterAttention, expertsOut) }
    }

    var mixerPart: ForwardProfile.Part {
        if case .lightning = mixer { return .lightningAttention }
        return .softmaxAttention
    }

    /// α · residual + β · update
    static func residual(_ f: ResidualFactors, _ residual: Matrix, _ update: Matrix) -> Matrix {
        var out = residual
        for i in 0..<out.data.count { out.data[i] = residual.data[i] * f.alpha + update.data[i] * f.beta }
        return out
    }
}
