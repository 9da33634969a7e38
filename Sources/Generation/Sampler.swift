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
            return SampledToken(id: id, probability: Sampler.softmax(logits, temperature: 1)[id])
        }
        let probabilities = Sampler.softmax(logits, temperature: parameters.temperature)
        let kept = Sampler.truncate(probabilities, parameters: parameters)
        let total = kept.reduce(0) { $0 + $1.probability }
        let target = generator.nextUnitInterval() * total
        var cumulative = 0.0
        for candidate in kept {
            cumulative += candidate.probability
            if target < cumulative { return SampledToken(id: candidate.id, probability: candidate.probability) }
        }
        let last = kept[kept.count - 1]
        return SampledToken(id: last.id, probability: last.probability)
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
        let scaled = logits.map { Double($0) / temperature }
        let maximum = scaled.max() ?? 0
        let exponentials = scaled.map { $0 == -.infinity ? 0 : exp($0 - maximum) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { $0 / sum }
    }

    /// top-k → top-p → min-p over the full distribution; returns the survivors with their
    /// un-renormalised probabilities, most likely first. Never empty: each filter keeps ≥ 1 token.
    static func truncate(_ probabilities: [Double], parameters: SamplingParameters) -> [TokenProbability] {
        var kept = probabilities.enumerated()
            .filter { $0.element > 0 }
            .map { TokenProbability(id: $0.offset, probability: $0.element) }
            .sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.id < $1.id }
        if kept.isEmpty {
            // Every probability underflowed except the maximum's, which is exp(0) = 1; unreachable in practice.
            kept = [TokenProbability(id: probabilities.firstIndex(of: probabilities.max() ?? 0) ?? 0, probability: 1)]
        }

        if parameters.topK > 0, parameters.topK < kept.count {
            let threshold = kept[parameters.topK - 1].probability
            kept = kept.filter { $0.probability >= threshold }
        }

        if parameters.topP < 1 {
            // transformers: drop, from the least likely up, tokens whose cumulative (renormalised)
            // probability is ≤ 1 − top-p.
            let total = kept.reduce(0) { $0 + $1.probability }
            var cumulative = 0.0
            var dropCount = 0
            for candidate in kept.reversed() {
                cumulative += candidate.probability / total
                if cumulative <= 1 - parameters.topP { dropCount += 1 } else { break }
            }
            kept.removeLast(min(dropCount, kept.count - 1))
        }

        if parameters.minP > 0 {
            let threshold = parameters.minP * kept[0].probability
            kept = kept.filter { $0.probability >= threshold }
        }
        return kept
    }
}
