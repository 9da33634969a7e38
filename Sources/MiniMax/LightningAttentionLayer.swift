import Kernels
import Tensors

/// Lightning attention token mixer (DESIGN.md §1.3):
/// SiLU(x·qkvᵀ) → per-head decayed linear attention → RMSNorm over all heads (eps 1e-6)
/// → × sigmoid(x·gateᵀ) → out_proj.
struct LightningAttentionLayer {
    let weights: LightningAttentionWeights
    let heads: Int
    let headDim: Int
    let blockSize: Int
    let normEpsilon: Float
    /// s_h for this layer's position in the stack.
    let slopes: [Float]
    let precision: MatMulPrecision

    /// x: [R, D] → out: [R, D]; each segment's rows run against (and advance) the lightning state
    /// of its own cache, layer `l`: a recurrent step for one row, block-wise for a chunk.
    func forward(
        _ x: UnsafePointer<Float>, layout: RowLayout, caches: UnsafeMutablePointer<ModelCache>, layer l: Int,
        into out: UnsafeMutablePointer<Float>
    ) throws {
        let width = heads * headDim, tokens = layout.rows
        // qkv: [R, H, 3, d]; attended, gated, gate: [R, H·d]
        try ScratchMemory.withFloats(tokens * 6 * width) { buffer in
            let qkv = buffer, attended = qkv + tokens * 3 * width, gated = attended + tokens * width
            let gate = gated + tokens * width
            // x · qkvᵀ and x · gateᵀ (the output gate reads the layer's input too): decode rows in one loop.
            MatMul.multiplySharingInput(x, rows: tokens, singleRows: layout.singleRows, precision: precision) { product in
                product(weights.qkvProjection, qkv)
                product(weights.outputGate, gate)
            }
            Parallel.forEachRowRange(tokens, width: 3 * width) { rows in
                VectorMath.siluInPlace(qkv + rows.lowerBound * 3 * width, count: rows.count * 3 * width)
            }
            for segment in layout.segments {
                try caches[segment.cache].layers[l].withLinearState { state in
                    LightningAttention.forward(
                        qkv: qkv + segment.firstRow * 3 * width, tokens: segment.count, heads: heads, headDim: headDim,
                        slopes: slopes, blockSize: blockSize, state: state, out: attended + segment.firstRow * width,
                        precision: precision.forAttention(besideWeightsOf: weights.qkvProjection.dtype))
                }
            }
            RMSNorm.apply(attended, rows: tokens, width: width, weight: weights.norm, eps: normEpsilon, into: gated)
            // gated ⊙ sigmoid(gate), rows split across threads
            Parallel.forEachRowRange(tokens, width: width) { rows in
                let first = rows.lowerBound * width
                VectorMath.multiplyBySigmoidInPlace(gated + first, gate: gate + first, count: rows.count * width)
            }
            MatMul.multiply(gated, rows: tokens, singleRows: layout.singleRows, weight: weights.outputProjection, into: out,
                            precision: precision)
        }
    }
}
