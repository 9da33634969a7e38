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

    /// h: [R, D] — the rows of every sequence in the pass — updated in place; layer `l` of each
    /// segment's cache is read and advanced.
    func forward(
        _ h: UnsafeMutablePointer<Float>, layout: RowLayout, caches: UnsafeMutablePointer<ModelCache>, layer l: Int,
        profile: ForwardProfile? = nil
    ) throws {
        let width = inputNorm.count, tokens = layout.rows
        // normed, update: [R, D]
        try ScratchMemory.withFloats(2 * tokens * width) { buffer in
            let normed = buffer, update = buffer + tokens * width
            profile.measure(.norms) {
                RMSNorm.apply(h, rows: tokens, width: width, weight: inputNorm, eps: normEpsilon, into: normed)
            }
            try profile.measure(mixerPart) {
                switch mixer {
                case .lightning(let layer): try layer.forward(normed, layout: layout, caches: caches, layer: l, into: update)
                case .softmax(let layer): try layer.forward(normed, layout: layout, caches: caches, layer: l, into: update)
                }
            }
            profile.measure(.norms) {
                // Row by row, residual then norm, rows split across threads.
                let residual = residualIsNormalized ? UnsafePointer(normed) : UnsafePointer(h)
                postAttentionNorm.withUnsafeBufferPointer { norm in
                    Parallel.forEachRowRange(tokens, width: width) { rows in
                        let first = rows.lowerBound * width
                        Self.residual(attentionResidual, residual + first, update + first, into: h + first,
                                      count: rows.count * width)
                        RMSNorm.applyRows(h, rows: rows, width: width, weight: norm.baseAddress!, eps: normEpsilon,
                                          into: normed)
                    }
                }
            }
            profile.measure(.mixtureOfExperts) {
                moe.forward(normed, rows: tokens, singleRows: layout.singleRows, into: update)
            }
            profile.measure(.norms) {
                let residual = residualIsNormalized ? UnsafePointer(normed) : UnsafePointer(h)
                Parallel.forEachRowRange(tokens, width: width) { rows in
                    let first = rows.lowerBound * width
                    Self.residual(mlpResidual, residual + first, update + first, into: h + first, count: rows.count * width)
                }
            }
        }
    }

    var mixerPart: ForwardProfile.Part {
        if case .lightning = mixer { return .lightningAttention }
        return .softmaxAttention
    }

    /// out = α · residual + β · update (`residual` may be `out` itself).
    static func residual(
        _ f: ResidualFactors, _ residual: UnsafePointer<Float>, _ update: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { out[i] = residual[i] * f.alpha + update[i] * f.beta }
    }
}
