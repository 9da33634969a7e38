import Foundation

/// Softmax attention of new queries over a key/value cache with grouped-query heads: query head h
/// reads KV head ⌊h / (H / H_kv)⌋; query t (at position `past + t`) sees keys 0 … past + t, or only
/// the last `window` of them when a sliding window is set. Scores and softmax in fp32.
public enum CausalAttention {
    /// - queries: [T, H, d], already rotated.
    /// - keys, values: [past + T, H_kv, d].
    /// - out: [T, H, d].
    public static func forward(
        queries: UnsafePointer<Float>, tokens: Int, heads: Int, keyValueHeads: Int, headDim d: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, past: Int, window: Int?,
        out: UnsafeMutablePointer<Float>
    ) {
        let group = heads / keyValueHeads
        let scale = Float(1 / Double(d).squareRoot())
        let qAddress = UnsafeRawPointer(queries), kAddress = UnsafeRawPointer(keys)
        let vAddress = UnsafeRawPointer(values), outAddress = UnsafeMutableRawPointer(out)
        Parallel.forEachRange(tokens * heads, grain: 1) { range in
            let queries = qAddress.assumingMemoryBound(to: Float.self)
            let keys = kAddress.assumingMemoryBound(to: Float.self)
            let values = vAddress.assumingMemoryBound(to: Float.self)
            let out = outAddress.assumingMemoryBound(to: Float.self)
            var scores = [Float](repeating: 0, count: past + tokens)
            scores.withUnsafeMutableBufferPointer { scores in
                for item in range {
                    let t = item / heads, h = item % heads, kvHead = h / group
                    let position = past + t
                    let first = window.map { max(0, position - $0 + 1) } ?? 0
                    let q = queries + item * d
                    let count = position - first + 1
                    for j in 0..<count {
                        let key = keys + ((first + j) * keyValueHeads + kvHead) * d
                        scores[j] = Dot.product(q, key, count: d) * scale
                    }
                    Softmax.inPlace(scores.baseAddress!, count: count)
                    let o = out + item * d
                    o.initialize(repeating: 0, count: d)
                    for j in 0..<count {
                        Dot.axpy(scores[j], values + ((first + j) * keyValueHeads + kvHead) * d, o, count: d)
                    }
                }
            }
        }
    }
}
