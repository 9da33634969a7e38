import Foundation
import Generation
import MiniMax
import SafeTensors
import TestSupport
import Tokenization
import Training
import XCTest

final class ReinforcementTests: XCTestCase {
    func testArithmeticVerifierReadsTheAnswerAfterThinking() {
        let task = ArithmeticTask()
        let problem = Problem(prompt: "What is 23 + 58?", answer: "81", numbers: [23, 58])
        XCTAssertEqual(task.score(problem, response: "<think>3+8=11 c1, 2+5+1=8. 81</think>81<end_of_sentence>"),
                       Score(reward: 1.1, correct: true, wellFormed: true))
        XCTAssertEqual(task.score(problem, response: "<think>81</think>The answer is 80.").correct, false)
        XCTAssertEqual(task.score(problem, response: "81"), Score(reward: 0, correct: false, wellFormed: false), "no M1 shape, no reward")
        XCTAssertEqual(task.score(problem, response: "<think>a</think>b</think>81").wellFormed, false)
        XCTAssertEqual(ResponseFormat.lastInteger(in: "so -12 then 7"), 7)
        XCTAssertEqual(ResponseFormat.lastInteger(in: "x = -12."), -12)
        // Problems are reproducible by seed, and worked answers are correct.
        XCTAssertEqual(task.problems(count: 5, seed: 9), task.problems(count: 5, seed: 9))
        for p in task.problems(count: 200, seed: 1) {
            XCTAssertTrue(task.score(p, response: ArithmeticTask.workedAnswer(p)).correct, "\(p.prompt) → \(ArithmeticTask.workedAnswer(p))")
        }
    }

    func testCountdownVerifierEvaluatesTheExpression() {
        let task = CountdownTask()
        let problem = Problem(prompt: "Using the numbers 3, 7, 12, make 33.", answer: "33", numbers: [3, 7, 12])
        XCTAssertTrue(task.score(problem, response: "<think>7*3=21, +12</think>7*3+12").correct)
        XCTAssertTrue(task.score(problem, response: "<think></think>(12 + 7 - 3) * 3 - 15 = 33").correct == false, "15 is not given")
        XCTAssertFalse(task.score(problem, response: "<think></think>3*3*3+7-1").correct, "3 used twice")
        XCTAssertFalse(task.score(problem, response: "<think></think>" + String(repeating: "(", count: 100) + "3").correct)
        XCTAssertFalse(task.score(problem, response: "<think></think>999999999*999999999*999999999").correct, "overflow is wrong, not a crash")
        for p in task.problems(count: 50, seed: 2) { XCTAssertEqual(p.numbers.count, 3); XCTAssertGreaterThan(Int(p.answer)!, 0) }
    }

    func testAFailingRewardCommandIsReportedNotFatal() {
        let payload = (prompt: "p", response: "r", answer: "a")
        func reward(_ command: String, limit: TimeInterval = 10) -> Result<Double, ExternalReward.Failure> {
            ExternalReward(command: command, timeLimit: limit).reward(prompt: payload.prompt, response: payload.response, answer: payload.answer)
        }
        XCTAssertEqual(try reward("python3 -c 'import json,sys; d=json.load(sys.stdin); print(1.0 if d[\"answer\"]==\"a\" else 0)'").get(), 1)
        XCTAssertEqual(try reward("cat > /dev/null; echo 0.25").get(), 0.25)
        guard case .failure(.exitStatus(3, _)) = reward("exit 3") else { return XCTFail("non-zero exit") }
        guard case .failure(.notANumber) = reward("echo hello") else { return XCTFail("garbage output") }
        guard case .failure(.notANumber) = reward("true") else { return XCTFail("no output") }
        guard case .failure(.timedOut) = reward("sleep 5", limit: 0.3) else { return XCTFail("a hang") }
        guard case .failure(.notANumber) = reward("echo nan") else { return XCTFail("NaN is not a reward") }
    }

    /// The rollout sampler's sequences do not depend on what else is in the batch.
    func testRolloutsAreBatchInvariant() throws {
        let model = try TinyModels.model()
        let sampler = RolloutSampler(model: model, maxNewTokens: 12, endOfSequence: [], repetitionGuard: nil)
        let prompts = [[1, 2, 3], [4, 5], [6, 7, 8, 9]]
        let together = try sampler.sample(prompts: prompts, samplesPerPrompt: 2, seed: 40)
        XCTAssertEqual(together.count, 6)
        // Sequence i uses seed 40 + i: run sequence 3 (prompt 1, sample 1) alone with seed 43.
        let alone = try sampler.sample(prompts: [prompts[1]], samplesPerPrompt: 1, seed: 43)
        XCTAssertEqual(alone[0].response, together[3].response)
        XCTAssertEqual(alone[0].logProbabilities, together[3].logProbabilities)
        XCTAssertTrue(together.allSatisfy { $0.response.count == 12 && $0.finish == .length })
        // The guard stops a sequence of near-certain tokens (a threshold of 0 makes every token count).
        let guarded = RolloutSampler(model: model, maxNewTokens: 12, endOfSequence: [], repetitionGuard: RepetitionGuard(consecutiveTokens: 3, probabilityThreshold: 0))
        let stopped = try guarded.sample(prompts: [prompts[0]], samplesPerPrompt: 1, seed: 1)
        XCTAssertEqual(stopped[0].response.count, 3)
        XCTAssertEqual(stopped[0].finish, .repetition)
    }

    /// One RL step end to end on a tiny model: before the first update the trainer's probabilities
    /// equal the sampler's (batch-invariant engine, fp32 LM head), so the first minibatch's ratios are 1.
    func testAStepRunsAndTheTrainerSeesTheSamplersProbabilities() throws {
        let directory = try TinyModels.directory()
        let configuration = try Configuration.load(directory: directory)
        let tokenizer = try Tokenizer.load(directory: directory)
        for algorithm in ReinforcementOptions.Algorithm.allCases {
            let parameters = try ParameterStore.load(configuration: configuration, checkpoint: try Checkpoint(directory: directory))
            var options = ReinforcementOptions(algorithm: algorithm, steps: 1, promptsPerStep: 2, groupSize: 3, updatesPerStep: 3, maxResponseTokens: 6)
            options.evaluationProblems = 2
            // A verifier that rewards longer responses, so groups have different rewards.
            let trainer = try ReinforcementTrainer(
                parameters: parameters, optimizer: AdamW(tree: parameters.tree, settings: options.optimizer), task: ArithmeticTask(),
                verifier: { _, response in Score(reward: Double(response.count % 3), correct: false, wellFormed: true) },
                tokenizer: tokenizer, options: options, output: try TestSupport.temporaryDirectory(),
                modelFiles: ModelFiles(configuration: configuration, source: directory))
            var seen: [ReinforcementMetrics] = []
            try trainer.run { seen.append($0) }
            let m = try XCTUnwrap(seen.first)
            XCTAssertEqual(m.rollouts, algorithm == .dapo ? m.rollouts : 6)
            XCTAssertGreaterThan(m.sampler_trainer_prob_corr, 0.999999, "\(algorithm)")
            XCTAssertTrue(m.loss.isFinite && m.gradient_norm.isFinite && m.entropy > 0, "\(algorithm): \(m)")
            XCTAssertNotNil(m.eval_accuracy)
        }
    }
}

/// A tiny random model with the byte tokenizer, written once per process.
enum TinyModels {
    nonisolated(unsafe) static var cached: URL?

    static func directory() throws -> URL {
        if let cached { return cached }
        let directory = try TestSupport.temporaryDirectory()
        let configuration = try TinyConfiguration.make(["vocab_size": 262, "hidden_size": 20, "intermediate_size": 12, "head_dim": 6, "eos_token_id": 259])
        try RandomCheckpointWriter.write(configuration, to: directory, seed: 4, scale: 2)
        try ByteTokenizerFiles.write(to: directory, vocabularySize: 262)
        cached = directory
        return directory
    }

    static func model() throws -> MiniMaxModel { try MiniMaxModel.load(directory: try directory()) }
}
