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

    /// x: [R, D] → out: [R, D]; each segment's rows are rotated at their own positions, appended to
    /// layer `l` of their own cache and attend over it.
    func forward(
        _ x: UnsafePointer<Float>, layout: RowLayout, caches: UnsafeMutablePointer<ModelCache>, layer l: Int,
        into out: UnsafeMutablePointer<Float>
    ) throws {
        let tokens = layout.rows, single = layout.singleRows
        let width = heads * headDim, keyValueWidth = keyValueHeads * headDim
        // q: [R, H, d]; k, v: [R, H_kv, d]; attended: [R, H·d]
        try ScratchMemory.withFloats(tokens * (2 * width + 2 * keyValueWidth)) { buffer in
            let q = buffer, k = q + tokens * width, v = k + tokens * keyValueWidth, attended = v + tokens * keyValueWidth
            // Decode rows of the three projections in one parallel loop.
            MatMul.multiplySharingInput(x, rows: tokens, singleRows: single, precision: precision) { product in
                product(weights.query, q)
                product(weights.key, k)
                product(weights.value, v)
            }
            for segment in layout.segments {
                let first = segment.firstRow, count = segment.count
                try caches[segment.cache].layers[l].withKeyValues { cache in
                    let past = cache.count
                    let q = q + first * width, k = k + first * keyValueWidth, v = v + first * keyValueWidth
                    RoPE.apply(q, tokens: count, heads: heads, headDim: headDim, rotaryDim: rotaryDim,
                               firstPosition: past, inverseFrequencies: inverseFrequencies)
                    RoPE.apply(k, tokens: count, heads: keyValueHeads, headDim: headDim, rotaryDim: rotaryDim,
                               firstPosition: past, inverseFrequencies: inverseFrequencies)
                    cache.append(keys: k, values: v, tokens: count)
                    PagedAttention.forward(
                        queries: q, tokens: count, heads: heads, keyValueHeads: keyValueHeads, headDim: headDim,
                        keyPages: cache.keyPointers, valuePages: cache.valuePointers, pageSize: cache.pageSize,
                        past: past, window: slidingWindow, out: attended + first * width,
                        precision: precision.forAttention(besideWeightsOf: weights.query.dtype))
                    withExtendedLifetime(cache.pages) {}
                }
            }
            MatMul.multiply(attended, rows: tokens, singleRows: single, weight: weights.output, into: out, precision: precision)
        }
    }
}
