import Foundation
import Generation
import MiniMax

/// One sampled response and what the sampler knew about each of its tokens.
public struct Rollout: Sendable, Equatable {
    /// Which prompt it answers (index into the step's prompts).
    public var promptIndex: Int
    public var prompt: [Int]
    public var response: [Int]
    /// log π_old of each response token under the sampling distribution (temperature 1, no
    /// truncation), from the inference forward pass: [|response|].
    public var logProbabilities: [Float]
    public var finish: FinishReason
}

/// Samples G responses for each prompt with the batched engine (`MiniMaxModel.forward(_ batch:)`):
/// every step is one forward pass over one new row per unfinished sequence. A sequence's tokens
/// depend only on its own seed, whatever else is in the batch (the forward pass is batch-invariant).
public struct RolloutSampler {
    public let model: MiniMaxModel
    public let maxNewTokens: Int
    public let endOfSequence: Set<Int>
    public let repetitionGuard: RepetitionGuard?
    /// 1 for rollouts (the distribution the objectives assume); 0 for greedy evaluation.
    public let temperature: Double

    public init(
        model: MiniMaxModel, maxNewTokens: Int, endOfSequence: Set<Int>, repetitionGuard: RepetitionGuard?,
        temperature: Double = 1
    ) {
        self.model = model
        self.temperature = temperature
        self.maxNewTokens = maxNewTokens
        self.endOfSequence = endOfSequence
        self.repetitionGuard = repetitionGuard
    }

    /// prompts: P token lists → P·G rollouts, prompt-major; sequence i uses seed `seed + i`.
    public func sample(prompts: [[Int]], samplesPerPrompt g: Int, seed: UInt64) throws -> [Rollout] {
        let count = prompts.count * g
        var rollouts = (0..<count).map { i in
            Rollout(promptIndex: i / g, prompt: prompts[i / g], response: [], logProbabilities: [], finish: .length)
        }
        var samplers = try (0..<count).map { i in
            try Sampler(parameters: SamplingParameters(temperature: temperature, seed: seed &+ UInt64(i)))
        }
        var caches = (0..<count).map { _ in model.makeCache() }
        // The generator's stop rules (end of sequence, the repetition guard, the length budget).
        let conditions = StopConditions(
            endOfSequenceTokenIDs: endOfSequence, maxNewTokens: maxNewTokens, repetitionGuard: repetitionGuard)
        var stops = try (0..<count).map { _ in try StopEvaluator(conditions: conditions) }
        var active = Array(0..<count)
        // The first pass feeds each whole prompt (logits of its last row); later passes one token each.
        var batch = ModelBatch()
        for i in active { batch.add(tokens: rollouts[i].prompt, sequence: i, firstPosition: 0) }
        while !active.isEmpty {
            let logits = try model.forward(batch, caches: &caches)
            var stillActive: [Int] = []
            var next = ModelBatch()
            for (row, i) in active.enumerated() {
                let values = Array(logits.row(row))
                let token = try samplers[i].sample(logits: values)
                rollouts[i].response.append(token.id)
                rollouts[i].logProbabilities.append(Float(log(max(token.probability, Double.leastNormalMagnitude))))
                if let reason = stops[i].append(tokenID: token.id, probability: token.probability, text: "").finishReason {
                    rollouts[i].finish = reason
                    continue
                }
                stillActive.append(i)
                next.add(token: token.id, sequence: i, position: rollouts[i].prompt.count + rollouts[i].response.count - 1, wantsLogits: true)
            }
            active = stillActive
            batch = next
        }
        return rollouts
    }
}
