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

    /// row ← softmax(row) in place; returns (−log p(target), entropy), from the log-sum-exp.
    /// One row's result depends only on that row (vector lanes in a fixed order).
    static func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int, target: Int) -> (Double, Double) {
        var maximum = -Float.infinity
        for v in 0..<count { maximum = max(maximum, row[v]) }
        let targetLogit = row[target] - maximum
        // shifted logits first (kept for the entropy), then exponentiated
        var weightedLogits = 0.0, sum = 0.0
        let raw = UnsafeMutableRawPointer(row), shift = SIMD16<Float>(repeating: maximum)
        var sums = SIMD16<Float>(), weighted = SIMD16<Float>()
        var v = 0
        while v + 16 <= count {
            let shifted = raw.loadUnaligned(fromByteOffset: v * 4, as: SIMD16<Float>.self) - shift
            let e = VectorMath.exp(shifted)
            raw.storeBytes(of: e, toByteOffset: v * 4, as: SIMD16<Float>.self)
            sums += e
            weighted += e * shifted
            v += 16
        }
        sum = Double(sums.sum())
        weightedLogits = Double(weighted.sum())
        while v < count {
            let shifted = row[v] - maximum
            row[v] = expf(shifted)
            sum += Double(row[v])
            weightedLogits += Double(row[v]) * Double(shifted)
            v += 1
        }
        let inverse = Float(1 / sum)
        for v in 0..<count { row[v] *= inverse }
        let logSum = log(sum)
        // H = log Σe − Σ p·(logit − max)
        return (logSum - Double(targetLogit), logSum - weightedLogits / sum)
    }

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
                // Per row, in parallel: softmax in place, −log p(target) and the entropy.
                let rowsAddress = UnsafeMutableRawPointer(logits)
                let found = UnsafeMutablePointer<(Double, Double)>.allocate(capacity: n)
                defer { found.deallocate() }
                let foundAddress = UnsafeMutableRawPointer(found)
                Parallel.forEachRange(n, grain: max(1, 16384 / max(vocabulary, 1))) { range in
                    let logits = rowsAddress.assumingMemoryBound(to: Float.self)
                    let found = foundAddress.assumingMemoryBound(to: (Double, Double).self)
                    for i in range {
                        found[i] = softmaxInPlace(logits + i * vocabulary, count: vocabulary, target: targets[chunk[i]])
                    }
                }
                var weights = [Float](repeating: 0, count: n)
                for (i, t) in chunk.enumerated() {
                    let (negativeLogProbability, entropy) = found[i]
                    statistics[t] = TokenStatistics(negativeLogProbability: negativeLogProbability, entropy: entropy)
                    let w = weight(t, negativeLogProbability)
                    total += Double(w) * negativeLogProbability
                    weights[i] = w
                }
                // dLogits = w · (p − onehot(target))
                Parallel.forEachRange(n, grain: max(1, 16384 / max(vocabulary, 1))) { range in
                    let logits = rowsAddress.assumingMemoryBound(to: Float.self)
                    for i in range {
                        let row = logits + i * vocabulary, w = weights[i]
                        for v in 0..<vocabulary { row[v] *= w }
                        row[targets[chunk[i]]] -= w
                    }
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
