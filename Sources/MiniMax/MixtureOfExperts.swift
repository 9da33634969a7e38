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
            // singles[e]: expert e's single rows (tokens are in row order within an expert: they come first)
            ScratchMemory.withBuffer(of: Int.self, count: expertCount) { singles in
                for e in 0..<expertCount {
                    singles[e] = 0
                    while start[e] + singles[e] < start[e + 1] && tokenOf[start[e] + singles[e]] < singleRows { singles[e] += 1 }
                }
                // fp16 experts have no grouped row-wise kernel: each expert runs its single rows itself.
                let grouped = weights.experts.allSatisfy { $0.gate.dtype != .float16 && $0.up.dtype != .float16 && $0.down.dtype != .float16 }
                if grouped {
                    runSingleRows(x: x, tokenOf: tokenOf, weightOf: weightOf, start: start, singles: singles, width: width, out: out)
                }
                for e in 0..<expertCount where start[e + 1] > start[e] {
                    let skipped = grouped ? singles[e] : 0, first = start[e] + skipped, count = start[e + 1] - first
                    guard count > 0 else { continue }
                    runExpert(e, x: x, tokens: tokenOf + first, weights: weightOf + first, count: count,
                              singleRows: singles[e] - skipped, width: width, out: out)
                }
            }
        }
        }
    }

    /// out[token] += weight · expert(x[token]) for every expert's single rows: the products
    /// `runExpert` would run row-wise, but all experts' gate and up products as one parallel loop and
    /// all their down products as another (`ProductGroup`; a decode step's experts are small
    /// products, each a barrier of its own otherwise). Same bits: each output is its row-wise
    /// product's, and experts add into a token in expert order.
    private func runSingleRows(
        x: UnsafePointer<Float>, tokenOf: UnsafePointer<Int>, weightOf: UnsafePointer<Float>, start: UnsafePointer<Int>,
        singles: UnsafePointer<Int>, width: Int, out: UnsafeMutablePointer<Float>
    ) {
        let expertCount = weights.experts.count
        let total = (0..<expertCount).reduce(0) { $0 + singles[$1] }
        guard total > 0 else { return }
        let intermediate = weights.experts[0].gate.shape[0]
        // gathered: [S, D]; hidden, up: [S, I]; y: [S, D] — expert e's single rows one after another
        ScratchMemory.withFloats(total * (2 * width + 2 * intermediate)) { buffer in
        ScratchMemory.withReusable(ProductGroup.self, make: ProductGroup.init) { group in
            let gathered = buffer, hidden = gathered + total * width, up = hidden + total * intermediate
            let y = up + total * intermediate
            var row = 0
            for e in 0..<expertCount where singles[e] > 0 {
                let n = singles[e], tokens = tokenOf + start[e], expert = weights.experts[e]
                Self.gather(x, tokens: tokens, count: n, width: width, into: gathered + row * width)
                let input = UnsafePointer(gathered + row * width)
                group.add(input, rows: n, weight: expert.gate, into: hidden + row * intermediate, precision: precision)
                group.add(input, rows: n, weight: expert.up, into: up + row * intermediate, precision: precision)
                row += n
            }
            group.run()
            VectorMath.siluMultiplyInPlace(hidden, by: up, count: total * intermediate)
            row = 0
            for e in 0..<expertCount where singles[e] > 0 {
                group.add(hidden + row * intermediate, rows: singles[e], weight: weights.experts[e].down, into: y + row * width,
                          precision: precision)
                row += singles[e]
            }
            group.run()
            row = 0
            for e in 0..<expertCount where singles[e] > 0 {
                Self.scatterAdd(y + row * width, tokens: tokenOf + start[e], weights: weightOf + start[e], count: singles[e],
                                width: width, into: out)
                row += singles[e]
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
            Self.gather(x, tokens: tokens, count: n, width: width, into: gathered)
            MatMul.multiplySharingInput(gathered, rows: n, singleRows: singleRows, precision: precision) { product in
                product(expert.gate, hidden)
                product(expert.up, up)
            }
            // hidden = silu(hidden) ⊙ up
            Parallel.forEachRowRange(n, width: intermediate) { rows in
                let first = rows.lowerBound * intermediate
                VectorMath.siluMultiplyInPlace(hidden + first, by: up + first, count: rows.count * intermediate)
            }
            MatMul.multiply(hidden, rows: n, singleRows: singleRows, weight: expert.down, into: y, precision: precision)
            Self.scatterAdd(y, tokens: tokens, weights: routeWeights, count: n, width: width, into: out)
        }
    }

    /// gathered[i] = x[tokens[i]] for i < count, rows split across threads where there are many.
    private static func gather(
        _ x: UnsafePointer<Float>, tokens: UnsafePointer<Int>, count: Int, width: Int, into gathered: UnsafeMutablePointer<Float>
    ) {
        Parallel.forEachRowRange(count, width: width) { rows in
            for i in rows { (gathered + i * width).update(from: x + tokens[i] * width, count: width) }
        }
    }

    /// out[tokens[i]] += weights[i] · y[i] for i < count: one expert's tokens, which are distinct, so
    /// its rows of `out` can be split across threads.
    private static func scatterAdd(
        _ y: UnsafePointer<Float>, tokens: UnsafePointer<Int>, weights: UnsafePointer<Float>, count: Int, width: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        Parallel.forEachRowRange(count, width: width) { rows in
            for i in rows {
                let o = out + tokens[i] * width, yi = y + i * width, w = weights[i]
                for c in 0..<width { o[c] += w * yi[c] }
            }
        }
    }
}
