import Kernels
import Tensors

/// Softmax attention token mixer (DESIGN.md §1.4): GQA with RoPE on the first `rotaryDim`
/// features of each head, causal, optionally windowed.
struct SoftmaxAttentionLayer {
    let weights: SoftmaxAttentionWeights
    let heads: Int
    let keyValueHeads: Int
    let headDim: Int
    let rotaryDim: Int
    let inverseFrequencies: [Float]
    let slidingWindow: Int?

    /// x: [T, D] → [T, D]; appends this chunk's keys and values to `cache`.
    func forward(_ x: Matrix, cache: inout KeyValueCache) -> Matrix {
        let tokens = x.rows, past = cache.count
        // q: [T, H, d]; k, v: [T, H_kv, d]
        var q = MatMul.multiply(x, weights.query)
        var k = MatMul.multiply(x, weights.key)
        let v = MatMul.multiply(x, weights.value)
        q.data.withUnsafeMutableBufferPointer {
            RoPE.apply($0.baseAddress!, tokens: tokens, heads: heads, headDim: headDim, rotaryDim: rotaryDim,
                       firstPosition: past, inverseFrequencies: inverseFrequencies)
        }
        k.data.withUnsafeMutableBufferPointer {
            RoPE.apply($0.baseAddress!, tokens: tokens, heads: keyValueHeads, headDim: headDim, rotaryDim: rotaryDim,
                       firstPosition: past, inverseFrequencies: inverseFrequencies)
        }
        cache.append(keys: k.data, values: v.data, tokens: tokens)
        // attended: [T, H·d]
        var attended = Matrix(zeros: tokens, heads * headDim)
        let keyPages = cache.pages.map { UnsafePointer($0.keys) }
        let valuePages = cache.pages.map { UnsafePointer($0.values) }
        q.data.withUnsafeBufferPointer { qp in
            attended.data.withUnsafeMutableBufferPointer { op in
                PagedAttention.forward(
                    queries: qp.baseAddress!, tokens: tokens, heads: heads, keyValueHeads: keyValueHeads,
                    headDim: headDim, keyPages: keyPages, valuePages: valuePages, pageSize: cache.pageSize,
                    past: past, window: slidingWindow, out: op.baseAddress!)
            }
        }
        withExtendedLifetime(cache.pages) {}
        return MatMul.multiply(attended, weights.output)
    }
}
