import ArgumentParser
import Foundation
import Generation
import MiniMax
import Training

/// The verifiable tasks built into `rl` and `eval`.
enum BuiltInTask: String, ExpressibleByArgument, CaseIterable {
    case arithmetic, countdown

    var rewardTask: RewardTask { self == .arithmetic ? ArithmeticTask() : CountdownTask() }
}

/// `minimax eval`: greedy held-out accuracy of a model on a built-in task — the number `rl` logs
/// as `eval_accuracy` and the bundled model's card states.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Greedy accuracy on held-out problems of a built-in task (the same problems rl's evaluations use).")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Built-in task: arithmetic (two- and three-digit + and −) or countdown.")
    var task: BuiltInTask = .arithmetic

    @Option(name: .long, parsing: .unconditional, help: "Held-out problems to answer.")
    var problems: Int = 200

    @Option(name: .long, parsing: .unconditional, help: "Held-out set: rl --seed S evaluates on set S.")
    var seed: UInt64 = 0

    @Option(name: .long, parsing: .unconditional, help: "Longest response, in tokens (a 3-digit sum's worked answer is ~70 bytes).")
    var maxTokens: Int = 128

    @Option(name: .long, parsing: .unconditional, help: "Print the first N problems with their responses.")
    var show: Int = 0

    @Option(name: .long, help: "Write every problem, response and verdict here as JSON lines.")
    var answersOut: String?

    func validate() throws {
        guard (1...(1 << 16)).contains(problems) else { throw ValidationError("--problems must be in 1...\(1 << 16), got \(problems)") }
        guard (1...(1 << 20)).contains(maxTokens) else { throw ValidationError("--max-tokens must be in 1...\(1 << 20), got \(maxTokens)") }
        guard show >= 0 else { throw ValidationError("--show must not be negative, got \(show)") }
    }

    func run() throws {
        let bundle = try ModelBundle(options, requireTokenizer: true)
        guard let tokenizer = bundle.tokenizer else { throw CommandFailure("\(options.path) has no tokenizer") }
        let rewardTask = task.rewardTask
        let problemSet = rewardTask.problems(count: problems, seed: TaskEvaluation.heldOutSeed &+ seed)
        let evaluation = try TaskEvaluation(
            model: bundle.model, prompt: TaskPrompt(tokenizer: tokenizer, vocabularySize: bundle.model.configuration.vocabularySize),
            problems: problemSet, maxNewTokens: maxTokens, score: { rewardTask.score($0, response: $1) })
        for answer in evaluation.answers.prefix(show) {
            writeOutput("\(answer.correct ? "✓" : "✗") \(answer.prompt)  expected \(answer.expected)\n  \(answer.response)\n")
        }
        if let answersOut {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var lines = Data()
            for answer in evaluation.answers {
                lines.append(try encoder.encode(answer))
                lines.append(0x0A)
            }
            do { try lines.write(to: URL(fileURLWithPath: answersOut), options: .atomic) } catch {
                throw CommandFailure("cannot write --answers-out \(answersOut): \(error.localizedDescription)")
            }
        }
        writeOutput(String(
            format: "%@ on %d held-out %@ problems (set %llu, greedy): accuracy %.3f, well-formed %.3f\n",
            options.path, problemSet.count, rewardTask.name, seed, evaluation.accuracy, evaluation.wellFormedFraction))
    }
}
