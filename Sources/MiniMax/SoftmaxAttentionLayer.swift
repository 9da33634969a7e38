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
    let precision: MatMulPrecision

    /// x: [T, D] → out: [T, D]; appends this chunk's keys and values to `cache`.
    func forward(_ x: UnsafePointer<Float>, rows tokens: Int, into out: UnsafeMutablePointer<Float>, cache: inout KeyValueCache) {
        let past = cache.count, width = heads * headDim, keyValueWidth = keyValueHeads * headDim
        // q: [T, H, d]; k, v: [T, H_kv, d]; attended: [T, H·d]
        ScratchMemory.withFloats(tokens * (2 * width + 2 * keyValueWidth)) { buffer in
            let q = buffer, k = q + tokens * width, v = k + tokens * keyValueWidth, attended = v + tokens * keyValueWidth
            MatMul.multiply(x, rows: tokens, weight: weights.query, into: q, precision: precision)
            MatMul.multiply(x, rows: tokens, weight: weights.key, into: k, precision: precision)
            MatMul.multiply(x, rows: tokens, weight: weights.value, into: v, precision: precision)
            RoPE.apply(q, tokens: tokens, heads: heads, headDim: headDim, rotaryDim: rotaryDim,
                       firstPosition: past, inverseFrequencies: inverseFrequencies)
            RoPE.apply(k, tokens: tokens, heads: keyValueHeads, headDim: headDim, rotaryDim: rotaryDim,
                       firstPosition: past, inverseFrequencies: inverseFrequencies)
            cache.append(keys: k, values: v, tokens: tokens)
            PagedAttention.forward(
                queries: q, tokens: tokens, heads: heads, keyValueHeads: keyValueHeads, headDim: headDim,
                keyPages: cache.keyPointers, valuePages: cache.valuePointers, pageSize: cache.pageSize,
                past: past, window: slidingWindow, out: attended)
            withExtendedLifetime(cache.pages) {}
            MatMul.multiply(attended, rows: tokens, weight: weights.output, into: out, precision: precision)
        }
    }
}
