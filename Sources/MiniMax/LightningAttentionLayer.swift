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

    /// x: [T, D] → [T, D]; advances `cache`.
    func forward(_ x: Matrix, cache: inout LinearAttentionState) -> Matrix {
        let width = heads * headDim
        // qkv: [T, H, 3, d]
        var qkv = MatMul.multiply(x, weights.qkvProjection)
        qkv.data.withUnsafeMutableBufferPointer { VectorMath.siluInPlace($0.baseAddress!, count: $0.count) }
        // attended: [T, H·d]
        var attended = Matrix(zeros: x.rows, width)
        qkv.data.withUnsafeBufferPointer { q in
            cache.state.withUnsafeMutableBufferPointer { s in
                attended.data.withUnsafeMutableBufferPointer { o in
                    LightningAttention.forward(
                        qkv: q.baseAddress!, tokens: x.rows, heads: heads, headDim: headDim, slopes: slopes,
                        blockSize: blockSize, state: s.baseAddress!, out: o.baseAddress!)
                }
            }
        }
        var gated = RMSNorm.apply(attended, weight: weights.norm, eps: normEpsilon)
        // gate: [T, H·d]
        var gate = MatMul.multiply(x, weights.outputGate)
        gate.data.withUnsafeMutableBufferPointer { VectorMath.sigmoidInPlace($0.baseAddress!, count: $0.count) }
        for i in 0..<gated.data.count { gated.data[i] *= gate.data[i] }
        return MatMul.multiply(gated, weights.outputProjection)
    }
}
