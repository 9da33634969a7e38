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

    /// x: [T, D] → out: [T, D]; advances `cache`.
    func forward(_ x: UnsafePointer<Float>, rows tokens: Int, into out: UnsafeMutablePointer<Float>, cache: inout LinearAttentionState) {
        let width = heads * headDim
        // qkv: [T, H, 3, d]; attended, gated: [T, H·d]
        ScratchMemory.withFloats(tokens * 5 * width) { buffer in
            let qkv = buffer, attended = qkv + tokens * 3 * width, gated = attended + tokens * width
            MatMul.multiply(x, rows: tokens, weight: weights.qkvProjection, into: qkv, precision: precision)
            VectorMath.siluInPlace(qkv, count: tokens * 3 * width)
            cache.state.withUnsafeMutableBufferPointer { state in
                LightningAttention.forward(
                    qkv: qkv, tokens: tokens, heads: heads, headDim: headDim, slopes: slopes,
                    blockSize: blockSize, state: state.baseAddress!, out: attended)
            }
            RMSNorm.apply(attended, rows: tokens, width: width, weight: weights.norm, eps: normEpsilon, into: gated)
            // The gate reuses `attended`: [T, H·d]
            let gate = attended
            MatMul.multiply(x, rows: tokens, weight: weights.outputGate, into: gate, precision: precision)
            VectorMath.sigmoidInPlace(gate, count: tokens * width)
            for i in 0..<(tokens * width) { gated[i] *= gate[i] }
            MatMul.multiply(gated, rows: tokens, weight: weights.outputProjection, into: out, precision: precision)
        }
    }
}
