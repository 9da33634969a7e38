import Kernels
import Tensors

/// Sparse MoE (DESIGN.md §1.5): softmax over all router logits in fp32 → top-k → renormalise →
/// weighted sum of SwiGLU experts. Tokens are grouped by expert so each expert runs one matrix
/// product over all the tokens routed to it; experts add their outputs in expert order.
struct MixtureOfExperts {
    let weights: MixtureOfExpertsWeights
    let expertsPerToken: Int
    let precision: MatMulPrecision

    /// x: [T, D] → out: [T, D]. The first `singleRows` rows are reduced row-wise in every product
    /// (see `MatMul`), the rest tiled.
    func forward(_ x: UnsafePointer<Float>, rows tokens: Int, singleRows: Int, into out: UnsafeMutablePointer<Float>) {
        let expertCount = weights.router.shape[0], width = weights.router.shape[1], k = expertsPerToken
        let routed = tokens * k
        // probabilities: [T, E]; weightOf: [T·k] routing weights, grouped by expert
        ScratchMemory.withFloats(tokens * expertCount + routed) { probabilities in
        // chosen: [T, k] experts per token; tokenOf: [T·k] tokens grouped by expert; start: [E + 1]
        ScratchMemory.withBuffer(of: Int.self, count: 2 * routed + expertCount + 1) { chosen in
            let weightOf = probabilities + tokens * expertCount
            let tokenOf = chosen + routed, start = tokenOf + routed
            // The router stays exact in every precision: routing decisions are discrete.
            MatMul.multiply(x, rows: tokens, singleRows: singleRows, weight: weights.router, into: probabilities)
            start.initialize(repeating: 0, count: expertCount + 1)
            for t in 0..<tokens {
                let row = probabilities + t * expertCount
                Softmax.inPlace(row, count: expertCount)
                TopK.select(row, count: expertCount, k: k, into: chosen + t * k)
                for j in 0..<k { start[chosen[t * k + j] + 1] += 1 }
            }
            // Counting sort of the (token, expert) pairs by expert, tokens in order within each.
            for e in 0..<expertCount { start[e + 1] += start[e] }
            for t in 0..<tokens {
                let row = probabilities + t * expertCount
                var total: Float = 0
                for j in 0..<k { total += row[chosen[t * k + j]] }
                for j in 0..<k {
                    let e = chosen[t * k + j], slot = start[e]
                    tokenOf[slot] = t
                    weightOf[slot] = row[e] / total
                    start[e] += 1
                }
            }
            for e in stride(from: expertCount, to: 0, by: -1) { start[e] = start[e - 1] }
            start[0] = 0
            out.initialize(repeating: 0, count: tokens * width)
            for e in 0..<expertCount where start[e + 1] > start[e] {
                // Tokens are in row order within an expert, so its single rows come first.
                let tokens = tokenOf + start[e], count = start[e + 1] - start[e]
                var singles = 0
                while singles < count && tokens[singles] < singleRows { singles += 1 }
                runExpert(e, x: x, tokens: tokens, weights: weightOf + start[e], count: count, singleRows: singles,
                          width: width, out: out)
            }
        }
        }
    }

    /// out[token] += weight · expert_e(x[token]) for the `count` tokens routed to expert e.
    private func runExpert(
        _ e: Int, x: UnsafePointer<Float>, tokens: UnsafePointer<Int>, weights routeWeights: UnsafePointer<Float>,
        count n: Int, singleRows: Int, width: Int, out: UnsafeMutablePointer<Float>
    ) {
        let expert = weights.experts[e], intermediate = expert.gate.shape[0]
        // gathered: [n, D]; hidden, up: [n, I]; y: [n, D]
        ScratchMemory.withFloats(n * (2 * width + 2 * intermediate)) { buffer in
            let gathered = buffer, hidden = gathered + n * width, up = hidden + n * intermediate
            let y = up + n * intermediate
            Parallel.forEachRowRange(n, width: width) { rows in
                for i in rows { (gathered + i * width).update(from: x + tokens[i] * width, count: width) }
            }
            MatMul.multiply(gathered, rows: n, singleRows: singleRows, weight: expert.gate, into: hidden, precision: precision)
            MatMul.multiply(gathered, rows: n, singleRows: singleRows, weight: expert.up, into: up, precision: precision)
            // hidden = silu(hidden) ⊙ up
            Parallel.forEachRowRange(n, width: intermediate) { rows in
                let first = rows.lowerBound * intermediate
                VectorMath.siluMultiplyInPlace(hidden + first, by: up + first, count: rows.count * intermediate)
            }
            MatMul.multiply(hidden, rows: n, singleRows: singleRows, weight: expert.down, into: y, precision: precision)
            // An expert's tokens are distinct, so its rows of `out` can be split across threads.
            Parallel.forEachRowRange(n, width: width) { rows in
                for i in rows {
                    let o = out + tokens[i] * width, yi = y + i * width, w = routeWeights[i]
                    for c in 0..<width { o[c] += w * yi[c] }
                }
            }
        }
    }
}
