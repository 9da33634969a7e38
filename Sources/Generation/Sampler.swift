import Foundation

/// A token drawn by the sampler.
public struct SampledToken: Equatable, Sendable {
    public let id: Int
    /// The token's probability under softmax(logits / temperature) over the whole vocabulary,
    /// before top-k/top-p/min-p (softmax(logits) when greedy). This is what the repetition guard
    /// reads: after truncation a lone survivor would always look certain.
    public let probability: Double
}

/// A token and its probability in a distribution.
public struct TokenProbability: Equatable, Sendable {
    public let id: Int
    public let probability: Double
}

/// Chooses next tokens from logits; owns a seeded generator, so a sampler made with the same
/// parameters and fed the same logits returns the same tokens on every platform.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var generator: SeededRandomGenerator

    public init(parameters: SamplingParameters) throws {
        try parameters.validate()
        self.parameters = parameters
        generator = SeededRandomGenerator(seed: parameters.seed)
    }

    public mutating func sample(logits: [Float]) throws -> SampledToken {
        try Sampler.checkLogits(logits)
        if parameters.isGreedy {
            let id = Sampler.argmax(logits)
            return SampledToken(id: id, probability: Sampler.probability(of: id, logits: logits))
        }
        let probabilities = Sampler.softmax(logits, temperature: parameters.temperature)
        let kept = Sampler.keptOrder(probabilities, parameters: parameters)
        var total = 0.0
        for id in kept { total += probabilities[Int(id)] }
        let target = generator.nextUnitInterval() * total
        var cumulative = 0.0
        for id in kept {
            cumulative += probabilities[Int(id)]
            if target < cumulative { return SampledToken(id: Int(id), probability: probabilities[Int(id)]) }
        }
        let last = Int(kept[kept.count - 1])
        return SampledToken(id: last, probability: probabilities[last])
    }

    /// The distribution a draw comes from: the surviving tokens, most likely first (lowest id on
    /// ties), renormalised to sum to 1. Greedy gives the argmax with probability 1.
    public func distribution(logits: [Float]) throws -> [TokenProbability] {
        try Sampler.checkLogits(logits)
        if parameters.isGreedy { return [TokenProbability(id: Sampler.argmax(logits), probability: 1)] }
        let kept = Sampler.truncate(Sampler.softmax(logits, temperature: parameters.temperature), parameters: parameters)
        let total = kept.reduce(0) { $0 + $1.probability }
        return kept.map { TokenProbability(id: $0.id, probability: $0.probability / total) }
    }

    static func checkLogits(_ logits: [Float]) throws {
        guard !logits.isEmpty else { throw SamplingError.emptyLogits }
        var anyCandidate = false
        for (i, logit) in logits.enumerated() {
            if logit.isNaN || logit == .infinity { throw SamplingError.nonFiniteLogit(index: i) }
            if logit != -.infinity { anyCandidate = true }
        }
        guard anyCandidate else { throw SamplingError.noCandidates }
    }

    static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }

    /// softmax(logits / temperature) in Double.
    static func softmax(_ logits: [Float], temperature: Double) -> [Double] {
        var maximum = -Double.infinity
        for logit in logits { maximum = max(maximum, Double(logit) / temperature) }
        var exponentials = [Double](repeating: 0, count: logits.count)
        var sum = 0.0
        exponentials.withUnsafeMutableBufferPointer { e in
            for i in 0..<logits.count {
                let scaled = Double(logits[i]) / temperature
                e[i] = scaled == -.infinity ? 0 : exp(scaled - maximum)
                sum += e[i]
            }
            for i in 0..<logits.count { e[i] /= sum }
        }
        return exponentials
    }

    /// softmax(logits)[id], without forming the whole distribution.
    static func probability(of id: Int, logits: [Float]) -> Double {
        var maximum = -Double.infinity
        for logit in logits { maximum = max(maximum, Double(logit)) }
        var sum = 0.0
        for logit in logits { sum += logit == -.infinity ? 0 : exp(Double(logit) - maximum) }
        return (Double(logits[id]) == -.infinity ? 0 : exp(Double(logits[id]) - maximum)) / sum
    }

    /// top-k → top-p → min-p over the full distribution; returns the survivors with their
    /// un-renormalised probabilities, most likely first. Never empty: each filter keeps ≥ 1 token.
    static func truncate(_ probabilities: [Double], parameters: SamplingParameters) -> [TokenProbability] {
        keptOrder(probabilities, parameters: parameters).map { TokenProbability(id: Int($0), probability: probabilities[Int($0)]) }
    }

    /// The ids `truncate` keeps, most likely first (lowest id on ties): one radix sort of the ids
    /// by probability, then each filter cuts the sorted list.
    static func keptOrder(_ probabilities: [Double], parameters: SamplingParameters) -> [Int32] {
        var kept = ProbabilityOrder.descending(probabilities)
        if kept.isEmpty {
            // Every probability underflowed except the maximum's, which is exp(0) = 1; unreachable in practice.
            kept = [Int32(probabilities.firstIndex(of: probabilities.max() ?? 0) ?? 0)]
        }
        func probability(_ i: Int) -> Double { probabilities[Int(kept[i])] }

        if parameters.topK > 0, parameters.topK < kept.count {
            let threshold = probability(parameters.topK - 1)
            var end = parameters.topK
            while end < kept.count && probability(end) >= threshold { end += 1 }
            kept.removeLast(kept.count - end)
        }

        if parameters.topP < 1 {
            // transformers: drop, from the least likely up, tokens whose cumulative (renormalised)
            // probability is ≤ 1 − top-p.
            var total = 0.0
            for i in kept.indices { total += probability(i) }
            var cumulative = 0.0
            var dropCount = 0
            for i in kept.indices.reversed() {
                cumulative += probability(i) / total
                if cumulative <= 1 - parameters.topP { dropCount += 1 } else { break }
            }
            kept.removeLast(min(dropCount, kept.count - 1))
        }

        if parameters.minP > 0 {
            let threshold = parameters.minP * probability(0)
            var end = 1
            while end < kept.count && probability(end) >= threshold { end += 1 }
            kept.removeLast(kept.count - end)
        }
        return kept
    }
}
