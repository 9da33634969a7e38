import Foundation
import Generation
import MiniMax
import Tokenization
import Training
import XCTest

/// The model that ships in `models/tiny-arithmetic` (trained by `scripts/experiments/cispo.sh`;
/// its card, `models/tiny-arithmetic/README.md`, states how): greedy answers to fixed problems, and
/// held-out accuracy at least what the card states.
final class BundledModelTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models/tiny-arithmetic")

    func evaluate(_ problems: [Problem]) throws -> TaskEvaluation {
        let bundle = try ModelBundle(directory: Self.directory, requireTokenizer: true)
        let tokenizer = try XCTUnwrap(bundle.tokenizer)
        let task = ArithmeticTask()
        return try TaskEvaluation(
            model: bundle.model, prompt: TaskPrompt(tokenizer: tokenizer, vocabularySize: bundle.model.configuration.vocabularySize),
            problems: problems, maxNewTokens: 96, score: { task.score($0, response: $1) })
    }

    func testAnswersTwoAndThreeDigitSumsAndDifferencesAskedInPlainWords() throws {
        let asked: [(String, Int, Int, Bool)] = [
            ("What is 23 + 58?", 23, 58, true), ("Compute 410 - 97.", 410, 97, false),
            ("What is 64 - 27?", 64, 27, false), ("Compute 35 + 47.", 35, 47, true),
            ("What is 356 + 478?", 356, 478, true), ("Compute 702 - 345.", 702, 345, false),
            ("What is 505 + 495?", 505, 495, true), ("Compute 100 - 11.", 100, 11, false),
            ("What is 91 - 19?", 91, 19, false), ("Compute 999 + 999.", 999, 999, true),
        ]
        let problems = asked.map { prompt, x, y, add in
            Problem(prompt: prompt, answer: String(add ? x + y : x - y), numbers: [x, add ? y : -y])
        }
        let evaluation = try evaluate(problems)
        for answer in evaluation.answers {
            XCTAssertTrue(answer.correct, "\(answer.prompt) expected \(answer.expected), got \(answer.response)")
            XCTAssertTrue(answer.response.hasPrefix("<think>"), "M1 format: \(answer.response)")
        }
    }

    /// The card states 0.975 on the first 200 problems of held-out set 0 (0.988 on 1,000). Greedy
    /// decoding is deterministic; the margin is for kernel rounding on another CPU flipping a close call.
    static let cardAccuracyOnFirst200 = 0.975

    func testHeldOutAccuracyIsWhatTheCardStates() throws {
        let problems = ArithmeticTask().problems(count: 200, seed: TaskEvaluation.heldOutSeed)
        let evaluation = try evaluate(problems)
        XCTAssertGreaterThanOrEqual(evaluation.accuracy, Self.cardAccuracyOnFirst200 - 0.02)
        XCTAssertEqual(evaluation.wellFormedFraction, 1, accuracy: 0.01)
    }
}
