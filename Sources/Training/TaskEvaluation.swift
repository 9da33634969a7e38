import Foundation
import ChatFormat
import Generation
import MiniMax
import Tokenization

/// A task's problems as the model sees them: the user's message in the M1 chat format, then the
/// opening of the assistant's turn.
public struct TaskPrompt {
    public let tokenizer: Tokenizer
    public let vocabularySize: Int

    public init(tokenizer: Tokenizer, vocabularySize: Int) {
        self.tokenizer = tokenizer
        self.vocabularySize = vocabularySize
    }

    /// The prompt's token ids; an id outside the model's vocabulary is the tokenizer's error.
    public func tokens(_ problem: Problem) throws -> [Int] {
        let ids = try tokenizer.encode(try ChatTemplate.render(messages: [.user(problem.prompt)], addGenerationPrompt: true))
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw TrainingDataError.tokenOutOfVocabulary(path: "tokenizer", token: bad, vocabularySize: vocabularySize)
        }
        return ids
    }

    /// Where a response ends: the configuration's end-of-sequence ids and M1's end of turn.
    public func endOfSequence(_ configuration: Configuration) -> Set<Int> {
        var stops = Set(configuration.eosTokenIDs)
        if let id = try? tokenizer.encode(ChatTemplate.endOfTurn), id.count == 1 { stops.insert(id[0]) }
        return stops
    }
}

/// Greedy answers of a model to a task's problems, scored: the held-out accuracy that `minimax rl`
/// logs as `eval_accuracy`, that `minimax eval` prints and that the bundled model's card states.
public struct TaskEvaluation: Sendable {
    public struct Answer: Sendable, Codable, Equatable {
        public var prompt: String
        public var expected: String
        public var response: String
        public var correct: Bool
        public var wellFormed: Bool
    }

    /// The seed of held-out problems; a run with `--seed s` evaluates on `heldOutSeed + s`. No
    /// training step draws problems with it.
    public static let heldOutSeed: UInt64 = 0xE7A1_0000

    public var answers: [Answer]

    public var accuracy: Double { fraction { $0.correct } }
    public var wellFormedFraction: Double { fraction { $0.wellFormed } }

    private func fraction(_ test: (Answer) -> Bool) -> Double {
        Double(answers.filter(test).count) / Double(max(answers.count, 1))
    }

    /// Answers every problem greedily, all of them in one batch on the batched engine.
    /// `score` nil: the sample could not be scored (an external verifier failed) and counts as wrong.
    public init(
        model: MiniMaxModel, prompt: TaskPrompt, problems: [Problem], maxNewTokens: Int,
        score: (Problem, String) -> Score?
    ) throws {
        let sampler = RolloutSampler(
            model: model, maxNewTokens: maxNewTokens, endOfSequence: prompt.endOfSequence(model.configuration),
            repetitionGuard: nil, temperature: 0)
        let rollouts = try sampler.sample(prompts: try problems.map(prompt.tokens), samplesPerPrompt: 1, seed: 0)
        answers = zip(problems, rollouts).map { problem, rollout in
            let text = (try? prompt.tokenizer.decode(rollout.response)) ?? ""
            let verdict = score(problem, text)
            return Answer(
                prompt: problem.prompt, expected: problem.answer, response: text,
                correct: verdict?.correct ?? false, wellFormed: verdict?.wellFormed ?? false)
        }
    }
}
