import Kernels
import Tensors

/// Sparse MoE (DESIGN.md §1.5): softmax over all router logits in fp32 → top-k → renormalise →
/// weighted sum of SwiGLU experts. Tokens are grouped by expert so each expert runs one matrix
/// product over all the tokens routed to it.
struct MixtureOfExperts {
    let weights: MixtureOfExpertsWeights
    let expertsPerToken: Int

    /// x: [T, D] → [T, D]
    func forward(_ x: Matrix) -> Matrix {
        let tokens = x.rows, width = x.cols
        // probabilities: [T, E]
        var probabilities = MatMul.multiply(x, weights.router)
        let expertCount = probabilities.cols
        var assignments = [[(token: Int, weight: Float)]](repeating: [], count: expertCount)
        probabilities.data.withUnsafeMutableBufferPointer { p in
            for t in 0..<tokens {
                let row = p.baseAddress! + t * expertCount
                Softmax.inPlace(row, count: expertCount)
                let chosen = TopK.indices(row, count: expertCount, k: expertsPerToken)
                let total = chosen.reduce(Float(0)) { $0 + row[$1] }
                for e in chosen { assignments[e].append((t, row[e] / total)) }
            }
        }
        var out = Matrix(zeros: tokens, width)
        for (e, routed) in assignments.enumerated() where !routed.isEmpty {
            // gathered: [n, D] — the tokens routed to expert e
            var gathered = Matrix(zeros: routed.count, width)
            for (i, r) in routed.enumerated() {
                gathered.data.replaceSubrange((i * width)..<((i + 1) * width), with: x.row(r.token))
            }
            let expert = weights.experts[e]
            // hidden: [n, I]
            var hidden = MatMul.multiply(gathered, expert.gate)
            let up = MatMul.multiply(gathered, expert.up)
            hidden.data.withUnsafeMutableBufferPointer { VectorMath.siluInPlace($0.baseAddress!, count: $0.count) }
            for i in 0..<hidden.data.count { hidden.data[i] *= up.data[i] }
            // y: [n, D]
            let y = MatMul.multiply(hidden, expert.down)
            for (i, r) in routed.enumerated() {
                for c in 0..<width { out.data[r.token * width + c] += r.weight * y.data[i * width + c] }
            }
        }
        return out
    }
}
