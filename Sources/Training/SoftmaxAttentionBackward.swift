import Foundation
import Kernels
import Tensors

/// Causal softmax attention with GQA over one sequence (positions 0 ..< T), forward with the row
/// log-sum-exp kept, and its flash-attention style backward:
///   P = exp(scale·q·kᵀ − lse),  D_i = Σ dO_i ⊙ O_i,  dS = P ⊙ (dO·Vᵀ − D),
///   dQ = scale · dS·K,  dK = scale · dSᵀ·Q,  dV = Pᵀ·dO.
/// Query head h reads KV head ⌊h / (H / H_kv)⌋; scale = 1/√d; query t sees keys 0 … t, or only
/// the last `window` of them. Work goes tile by tile (`queryTile` queries against the keys they
/// see), so no score matrix larger than one tile × T exists, and every product is on the matrix kernel.
public enum SoftmaxAttentionBackward {
    public static let queryTile = 64

    /// - queries: [T, H, d] (already rotated); keys, values: [T, H_kv, d] (keys rotated).
    /// - out: [T, H, d]; logSumExp: [T, H], the natural log of each row's Σ exp(scaled score).
    public static func forward(
        queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, tokens: Int,
        heads: Int, keyValueHeads: Int, headDim d: Int, window: Int?,
        out: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>
    ) {
        let shape = Shape(tokens: tokens, heads: heads, keyValueHeads: keyValueHeads, headDim: d, window: window)
        let qAddress = UnsafeRawPointer(queries), kAddress = UnsafeRawPointer(keys), vAddress = UnsafeRawPointer(values)
        let outAddress = UnsafeMutableRawPointer(out), lseAddress = UnsafeMutableRawPointer(logSumExp)
        Parallel.forEachRange(heads) { headRange in
            let queries = qAddress.assumingMemoryBound(to: Float.self), out = outAddress.assumingMemoryBound(to: Float.self)
            let logSumExp = lseAddress.assumingMemoryBound(to: Float.self)
            let tile = min(queryTile, tokens)
            // keys: [T, d]; valuesT: [d, T] for one tile's key range; q: [tile, d]; scores: [tile, T]; o: [tile, d]
            ScratchMemory.withFloats(3 * tokens * d + tile * tokens + 2 * tile * d) { keysOfHead in
                let valuesT = keysOfHead + tokens * d, q = valuesT + tokens * d
                let scores = q + tile * d, o = scores + tile * tokens
                for h in headRange {
                    let g = h / shape.group
                    shape.gatherHead(kAddress.assumingMemoryBound(to: Float.self), keyValueHead: g, into: keysOfHead)
                    var t0 = 0
                    while t0 < tokens {
                        let rows = min(queryTile, tokens - t0), (lo, n) = shape.keyRange(tile: t0, rows: rows)
                        for i in 0..<rows { (q + i * d).update(from: queries + ((t0 + i) * heads + h) * d, count: d) }
                        let values = vAddress.assumingMemoryBound(to: Float.self)
                        for j in 0..<n {
                            let v = values + ((lo + j) * keyValueHeads + g) * d
                            for c in 0..<d { valuesT[c * n + j] = v[c] }
                        }
                        // scores: [rows, n] = q · keysᵀ
                        product(q, rows: rows, keysOfHead + lo * d, n, d, into: scores)
                        for i in 0..<rows {
                            let row = scores + i * n, (first, last) = shape.visible(t0 + i, lo: lo)
                            var rowMax = -Float.infinity
                            for j in first...last {
                                row[j] *= shape.scale
                                rowMax = max(rowMax, row[j])
                            }
                            var sum: Float = 0
                            for j in 0..<n {
                                row[j] = j >= first && j <= last ? expf(row[j] - rowMax) : 0
                                sum += row[j]
                            }
                            let inverse = 1 / sum
                            for j in first...last { row[j] *= inverse }
                            logSumExp[(t0 + i) * heads + h] = rowMax + logf(sum)
                        }
                        // o: [rows, d] = P · (valuesT)ᵀ
                        product(scores, rows: rows, valuesT, d, n, into: o)
                        for i in 0..<rows { (out + ((t0 + i) * heads + h) * d).update(from: o + i * d, count: d) }
                        t0 += rows
                    }
                }
            }
        }
    }

    /// Gradients of `forward` given dO: [T, H, d] and the forward's output and log-sum-exp.
    /// ACCUMULATES queryGradient: [T, H, d], keyGradient and valueGradient: [T, H_kv, d].
    /// Each query head works on its own dK, dV copy; the heads of a group are then summed in order.
    public static func backward(
        queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        tokens: Int, heads: Int, keyValueHeads: Int, headDim d: Int, window: Int?,
        queryGradient: UnsafeMutablePointer<Float>, keyGradient: UnsafeMutablePointer<Float>,
        valueGradient: UnsafeMutablePointer<Float>
    ) {
        let shape = Shape(tokens: tokens, heads: heads, keyValueHeads: keyValueHeads, headDim: d, window: window)
        // perHead: [H, 2, T, d] — dK then dV of each query head
        ScratchMemory.withFloats(heads * 2 * tokens * d) { perHead in
            let inputs = BackwardInputs(
                queries: queries, keys: keys, values: values, output: output, logSumExp: logSumExp,
                outputGradient: outputGradient, queryGradient: queryGradient)
            let perHeadAddress = UnsafeMutableRawPointer(perHead)
            Parallel.forEachRange(heads) { headRange in
                let perHead = perHeadAddress.assumingMemoryBound(to: Float.self)
                for h in headRange {
                    let dK = perHead + h * 2 * tokens * d
                    backwardHead(h, shape: shape, inputs: inputs, keyGradient: dK, valueGradient: dK + tokens * d)
                }
            }
            for h in 0..<heads {
                let g = h / shape.group, dK = perHead + h * 2 * tokens * d, dV = dK + tokens * d
                for t in 0..<tokens {
                    Dot.axpy(1, dK + t * d, keyGradient + (t * keyValueHeads + g) * d, count: d)
                    Dot.axpy(1, dV + t * d, valueGradient + (t * keyValueHeads + g) * d, count: d)
                }
            }
        }
    }

    /// The backward's read-only inputs and the shared query gradient (each head writes its own slice).
    struct BackwardInputs: @unchecked Sendable {
        let queries, keys, values, output, logSumExp, outputGradient: UnsafePointer<Float>
        let queryGradient: UnsafeMutablePointer<Float>
    }

    /// Sizes, the GQA group and the causal / windowed visibility rule.
    struct Shape {
        let tokens, heads, keyValueHeads, headDim: Int
        let window: Int?
        var group: Int { heads / keyValueHeads }
        var scale: Float { Float(1 / Double(headDim).squareRoot()) }

        /// The keys a tile of queries t0 ..< t0 + rows sees: first key `lo`, `n` keys.
        func keyRange(tile t0: Int, rows: Int) -> (lo: Int, n: Int) {
            let lo = window.map { max(0, t0 - $0 + 1) } ?? 0
            return (lo, t0 + rows - lo)
        }

        /// Query t's visible keys as indices into a range starting at key `lo` (inclusive bounds).
        func visible(_ t: Int, lo: Int) -> (first: Int, last: Int) {
            let first = window.map { max(0, t - $0 + 1) } ?? 0
            return (first - lo, t - lo)
        }

        /// out: [T, d] = the rows of KV head g from x: [T, H_kv, d].
        func gatherHead(_ x: UnsafePointer<Float>, keyValueHead g: Int, into out: UnsafeMutablePointer<Float>) {
            for t in 0..<tokens { (out + t * headDim).update(from: x + (t * keyValueHeads + g) * headDim, count: headDim) }
        }
    }

    /// out[rows, n] = x[rows, k] · Wᵀ for a scratch W: [n, k], on the calling thread.
    @inline(__always)
    static func product(
        _ x: UnsafePointer<Float>, rows: Int, _ w: UnsafePointer<Float>, _ n: Int, _ k: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        MatMul.multiply(x, rows: rows, weight: Linear.view(w, n, k), into: out, parallel: false)
    }
}
