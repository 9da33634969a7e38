import Foundation
import Kernels

/// The fp32 LM head fused with cross-entropy: logits = h · Wᵀ, loss = −log softmax(logits)[target].
/// Rows are processed a chunk at a time, so no [T, V] probability matrix exists beyond one chunk;
/// rows with weight 0 (not predicted) are skipped entirely.
enum CrossEntropyHead {
    static let chunkRows = 32

    /// hidden: [T, D] (after the final norm); head: [V, D]; targets, rowWeights: [T].
    /// Returns Σ_t rowWeights[t] · (−log p_t(target_t)) and, for each row, −log p (0 where skipped).
    /// When gradients are given, accumulates d(Σ_t w_t·CE_t)/dh into `hiddenGradient` [T, D] and
    /// into `headGradient` [V, D].
    static func loss(
        hidden: UnsafePointer<Float>, rows: Int, width: Int, head: UnsafePointer<Float>, vocabulary: Int,
        targets: [Int], rowWeights: [Float],
        hiddenGradient: UnsafeMutablePointer<Float>? = nil, headGradient: UnsafeMutablePointer<Float>? = nil
    ) -> (total: Double, perRow: [Double]) {
        let predicted = (0..<rows).filter { rowWeights[$0] != 0 }
        var total = 0.0
        var perRow = [Double](repeating: 0, count: rows)
        // gathered: [c, D]; logits: [c, V]; gatheredGradient: [c, D]
        ScratchMemory.withFloats(chunkRows * (2 * width + vocabulary)) { gathered in
            let logits = gathered + chunkRows * width, gatheredGradient = logits + chunkRows * vocabulary
            for start in stride(from: 0, to: predicted.count, by: chunkRows) {
                let chunk = Array(predicted[start..<min(start + chunkRows, predicted.count)]), n = chunk.count
                for (i, t) in chunk.enumerated() { (gathered + i * width).update(from: hidden + t * width, count: width) }
                Linear.forward(gathered, rows: n, weight: head, outputs: vocabulary, inputs: width, into: logits)
                for (i, t) in chunk.enumerated() {
                    let row = logits + i * vocabulary
                    // Softmax in place; the loss from the log-sum-exp.
                    var maximum = -Float.infinity
                    for v in 0..<vocabulary { maximum = max(maximum, row[v]) }
                    let target = targets[t], targetLogit = row[target] - maximum
                    var sum = 0.0
                    for v in 0..<vocabulary {
                        row[v] = expf(row[v] - maximum)
                        sum += Double(row[v])
                    }
                    let negativeLogProbability = log(sum) - Double(targetLogit)
                    perRow[t] = negativeLogProbability
                    total += Double(rowWeights[t]) * negativeLogProbability
                    // dLogits = w · (p − onehot(target))
                    let scale = Float(1 / sum) * rowWeights[t]
                    for v in 0..<vocabulary { row[v] *= scale }
                    row[target] -= rowWeights[t]
                }
                guard let headGradient else { continue }
                gatheredGradient.initialize(repeating: 0, count: n * width)
                Linear.backward(
                    outputGradient: logits, input: gathered, rows: n, weight: head, outputs: vocabulary, inputs: width,
                    inputGradient: hiddenGradient == nil ? nil : gatheredGradient, weightGradient: headGradient)
                if let hiddenGradient {
                    for (i, t) in chunk.enumerated() {
                        Dot.axpy(1, gatheredGradient + i * width, hiddenGradient + t * width, count: width)
                    }
                }
            }
        }
        return (total, perRow)
    }
}
