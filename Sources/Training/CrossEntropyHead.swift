import Foundation
import Kernels

/// What the LM head reports for each predicted row.
public struct TokenStatistics: Sendable, Equatable {
    /// −log p(target), nats.
    public var negativeLogProbability: Double
    /// −Σ_v p_v log p_v of the row's distribution, nats.
    public var entropy: Double
}

/// The fp32 LM head fused with cross-entropy: logits = h · Wᵀ, loss = −log softmax(logits)[target].
/// Rows are processed 64 at a time, so no [T, V] probability matrix exists beyond one chunk;
/// rows that are not predicted are skipped entirely.
enum CrossEntropyHead {
    static let chunkRows = 64

    /// hidden: [T, D] (after the final norm); head: [V, D]; targets, predicted: [T].
    /// `weight(t, −log p_t)` gives each predicted row's weight w_t in the loss Σ_t w_t · CE_t (it may
    /// depend on the row's own probability: RL objectives do). Returns Σ w_t·CE_t and each
    /// predicted row's statistics (nil for the others). When gradients are given, accumulates
    /// ∂(Σ w_t·CE_t)/∂h into `hiddenGradient` [T, D] and into `headGradient` [V, D].
    static func loss(
        hidden: UnsafePointer<Float>, rows: Int, width: Int, head: UnsafePointer<Float>, vocabulary: Int,
        targets: [Int], predicted mask: [Bool], weight: (Int, Double) -> Float,
        hiddenGradient: UnsafeMutablePointer<Float>? = nil, headGradient: UnsafeMutablePointer<Float>? = nil
    ) -> (total: Double, rows: [TokenStatistics?]) {
        let predicted = (0..<rows).filter { mask[$0] }
        var total = 0.0
        var statistics = [TokenStatistics?](repeating: nil, count: rows)
        // gathered: [c, D]; logits: [c, V]; gatheredGradient: [c, D]; headT: [D, V] (with gradients)
        let transposes = headGradient != nil && hiddenGradient != nil && predicted.count > chunkRows
        ScratchMemory.withFloats(chunkRows * (2 * width + vocabulary) + (transposes ? width * vocabulary : 0)) { gathered in
            let logits = gathered + chunkRows * width, gatheredGradient = logits + chunkRows * vocabulary
            // With several chunks, transpose the head once rather than once per chunk.
            let headT = transposes ? gatheredGradient + chunkRows * width : nil
            if let headT { Transpose.apply(head, rows: vocabulary, columns: width, into: headT) }
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
                    var sum = 0.0, weightedLogits = 0.0
                    for v in 0..<vocabulary {
                        let shifted = row[v] - maximum
                        row[v] = expf(shifted)
                        sum += Double(row[v])
                        weightedLogits += Double(row[v]) * Double(shifted)
                    }
                    let logSum = log(sum)
                    let negativeLogProbability = logSum - Double(targetLogit)
                    // H = log Σe − Σ p·(logit − max)
                    statistics[t] = TokenStatistics(negativeLogProbability: negativeLogProbability, entropy: logSum - weightedLogits / sum)
                    let w = weight(t, negativeLogProbability)
                    total += Double(w) * negativeLogProbability
                    // dLogits = w · (p − onehot(target))
                    let scale = Float(1 / sum) * w
                    for v in 0..<vocabulary { row[v] *= scale }
                    row[target] -= w
                }
                guard let headGradient else { continue }
                gatheredGradient.initialize(repeating: 0, count: n * width)
                Linear.backward(
                    outputGradient: logits, input: gathered, rows: n, weight: head, outputs: vocabulary, inputs: width,
                    inputGradient: hiddenGradient == nil ? nil : gatheredGradient, weightGradient: headGradient,
                    transposedWeight: headT.map { UnsafePointer($0) })
                if let hiddenGradient {
                    for (i, t) in chunk.enumerated() {
                        Dot.axpy(1, gatheredGradient + i * width, hiddenGradient + t * width, count: width)
                    }
                }
            }
        }
        return (total, statistics)
    }
}
