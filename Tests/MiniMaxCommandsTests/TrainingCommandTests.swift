import Foundation
import MiniMax
@testable import MiniMaxCommands
import SafeTensors
import TestSupport
import XCTest

/// `init`, `train`, `grad` and `perplexity` end to end, in-process.
final class TrainingCommandTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static let config = """
        {"model_type": "minimax", "vocab_size": 262, "hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 2,
         "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8, "num_local_experts": 3, "num_experts_per_tok": 2,
         "block_size": 8, "layer_types": ["linear_attention", "full_attention"], "eos_token_id": 259,
         "output_router_logits": true, "router_aux_loss_coef": 0.01}
        """

    func makeModel() throws -> URL {
        let config = dir.appendingPathComponent("config.json")
        try Data(Self.config.utf8).write(to: config)
        let model = dir.appendingPathComponent("model")
        let result = try runCommand(["init", "--config", config.path, "--out", model.path, "--seed", "3"], in: dir)
        XCTAssertEqual(result.code, 0, result.message)
        return model
    }

    func testInitTrainGenerateAndResume() throws {
        let model = try makeModel()
        let again = try runCommand(["init", "--config", dir.appendingPathComponent("config.json").path, "--out", model.path], in: dir)
        XCTAssertEqual(again.code, 64, "init does not overwrite a model")
        XCTAssertTrue(again.message.contains("already holds a model"), again.message)

        let data = dir.appendingPathComponent("data.jsonl")
        let lines = (0..<30).map { #"{"text": "ab \#($0 % 4) cd \#($0 % 4) ef"}"# } + ["{broken", #"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}"#]
        try Data(lines.joined(separator: "\n").utf8).write(to: data)
        let out = dir.appendingPathComponent("run")
        let train = ["train", "--model", model.path, "--data", data.path, "--out", out.path, "--seq-len", "16",
                     "--lr", "1e-2", "--checkpoint-every", "3", "--threads", "1"]
        let first = try runCommand(train + ["--steps", "6"], in: dir)
        XCTAssertEqual(first.code, 0, first.message)
        XCTAssertTrue(first.errorOutput.contains("skipped \(data.path):31: invalid JSON"), first.errorOutput)
        XCTAssertTrue(first.errorOutput.contains("step 6/6"), first.errorOutput)
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 6)
        XCTAssertTrue(metrics[0].contains("\"aux_loss\""), "the config's router_aux_loss_coef turns the aux loss on")
        XCTAssertEqual(CheckpointSteps.list(out), [3, 6])

        let strict = try runCommand(train + ["--steps", "6", "--on-bad-line", "fail", "--out", dir.appendingPathComponent("strict").path], in: dir)
        XCTAssertNotEqual(strict.code, 0)
        XCTAssertTrue(strict.message.contains("data.jsonl:31: invalid JSON"), strict.message)

        // Resume to 8 steps: two more lines of metrics, the final model loads and generates.
        let resumed = try runCommand(train + ["--steps", "8", "--resume"], in: dir)
        XCTAssertEqual(resumed.code, 0, resumed.message)
        XCTAssertTrue(resumed.errorOutput.contains("resuming at step 6"), resumed.errorOutput)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 8)
        let generated = try runCommand(["generate", "--model", out.path, "--prompt", "ab", "--max-tokens", "3", "--json"], in: dir)
        XCTAssertEqual(generated.code, 0, generated.message)

        // The run's curves as SVG; a field no line has is an error naming it.
        let svg = dir.appendingPathComponent("loss.svg")
        let plot = try runCommand(["plot", out.appendingPathComponent("metrics.jsonl").path, "--out", svg.path, "--metric", "loss,gradient_norm"], in: dir)
        XCTAssertEqual(plot.code, 0, plot.message)
        let drawing = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(drawing.hasPrefix("<svg") || drawing.contains("<svg"), String(drawing.prefix(80)))
        XCTAssertTrue(drawing.contains("gradient_norm") && drawing.contains("step"), "legend and axis name")
        let missing = try runCommand(["plot", out.appendingPathComponent("metrics.jsonl").path, "--out", svg.path, "--metric", "nope"], in: dir)
        XCTAssertNotEqual(missing.code, 0)
        XCTAssertTrue(missing.message.contains("no field 'nope'"), missing.message)

        let other = dir.appendingPathComponent("other.jsonl")
        try Data(#"{"text": "something else entirely, long enough for a window or two of sixteen"}"#.utf8).write(to: other)
        let wrongData = try runCommand(["train", "--model", model.path, "--data", other.path, "--out", out.path, "--seq-len", "16", "--steps", "9", "--resume"], in: dir)
        XCTAssertNotEqual(wrongData.code, 0)
        XCTAssertTrue(wrongData.message.contains("is not the data this run was trained on"), wrongData.message)
    }

    /// A tokenizer with more ids than the model's vocabulary is an error naming the mismatch, not a crash.
    func testTokensOutsideTheVocabularyAreRefused() throws {
        let small = Self.config.replacingOccurrences(of: "\"vocab_size\": 262", with: "\"vocab_size\": 200")
            .replacingOccurrences(of: "\"eos_token_id\": 259", with: "\"eos_token_id\": 2")
        let config = dir.appendingPathComponent("small.json")
        try Data(small.utf8).write(to: config)
        let model = dir.appendingPathComponent("small")
        let created = try runCommand(["random-model", "--config", config.path, "--out", model.path, "--no-tokenizer"], in: dir)
        XCTAssertEqual(created.code, 0, created.message)
        let other = try makeModel()
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: other.appendingPathComponent(name), to: model.appendingPathComponent(name))
        }
        let data = dir.appendingPathComponent("emoji.jsonl")
        try Data((0..<20).map { _ in #"{"text": "smile 😀 smile 😀 smile"}"# }.joined(separator: "\n").utf8).write(to: data)
        let run = try runCommand(["train", "--model", model.path, "--data", data.path, "--out", dir.appendingPathComponent("r").path, "--seq-len", "8", "--steps", "1"], in: dir)
        XCTAssertNotEqual(run.code, 0)
        XCTAssertTrue(run.message.contains("outside the model's vocabulary (vocab_size 200)"), run.message)
    }

    func testHugeNumbersAreRefusedBeforeAnythingIsAllocated() throws {
        let model = try makeModel()
        let data = dir.appendingPathComponent("d.jsonl")
        try Data(#"{"text": "x"}"#.utf8).write(to: data)
        let common = ["--model", model.path, "--out", dir.appendingPathComponent("o").path]
        for (arguments, message) in [
            (["train", "--data", data.path, "--seq-len", "8", "--batch-tokens", "9223372036854775807"], "windows per update"),
            (["train", "--data", data.path, "--seq-len", "9223372036854775807"], "--seq-len must be at most"),
            (["rl", "--group-size", "9223372036854775807", "--prompts-per-step", "4"], "samples per step"),
            (["rl", "--max-tokens", "9223372036854775807"], "--max-tokens must be at most"),
        ] {
            let run = try runCommand(arguments + common, in: dir)
            XCTAssertEqual(run.code, 64, "\(arguments)")
            XCTAssertTrue(run.message.contains(message), run.message)
        }
    }

    func testGradWritesEveryParameterUnderItsCheckpointName() throws {
        let model = try makeModel()
        let out = dir.appendingPathComponent("grad.safetensors")
        let result = try runCommand(["grad", "--model", model.path, "--ids", "3,17,42,5,9", "--out", out.path], in: dir)
        XCTAssertEqual(result.code, 0, result.message)
        XCTAssertTrue(result.output.hasPrefix("loss "), result.output)
        let file = try SafeTensorsFile(url: out)
        let tree = ParameterTree(try Configuration.load(directory: model))
        XCTAssertEqual(Set(file.entries.keys), Set(tree.parameters.map { $0.name }))
        for p in tree.parameters { XCTAssertEqual(try file.tensor(p.name).shape, p.shape, p.name) }
        let bad = try runCommand(["grad", "--model", model.path, "--ids", "3,999", "--out", out.path], in: dir)
        XCTAssertNotEqual(bad.code, 0)
        XCTAssertTrue(bad.message.contains("id 999 is outside the vocabulary"), bad.message)
    }

    func testPerplexityWindowsScoreEveryTokenOnce() throws {
        // Sliding windows with a stride shorter than the window: every position 0 ..< n−1 is scored
        // exactly once. (With stride = context, as in Hugging Face's recipe, the first token of each
        // window has no context and is not a target.)
        for (n, context, stride) in [(50, 16, 4), (50, 16, 15), (17, 16, 5), (3, 16, 1)] {
            let scored = PerplexityCommand.windows(tokenCount: n, context: context, stride: stride).flatMap { Array($0.scored) }
            XCTAssertEqual(scored, Array(0..<(n - 1)), "n \(n) context \(context) stride \(stride)")
            for w in PerplexityCommand.windows(tokenCount: n, context: context, stride: stride) {
                XCTAssertLessThanOrEqual(w.range.count, context)
                XCTAssertTrue(w.range.contains(w.scored.lowerBound) && w.range.contains(w.scored.upperBound))
            }
        }
        // llama.cpp's method: the second half of each full window.
        let halves = PerplexityCommand.windows(tokenCount: 70, context: 16, stride: nil)
        XCTAssertEqual(halves.map(\.range), [0..<16, 16..<32, 32..<48, 48..<64])
        XCTAssertEqual(halves[1].scored, 24..<31)

        let model = try makeModel()
        let text = dir.appendingPathComponent("text.txt")
        try Data(String(repeating: "the same words again and again. ", count: 8).utf8).write(to: text)
        let result = try runCommand(["perplexity", "--model", model.path, "--text", text.path, "--context", "32"], in: dir)
        XCTAssertEqual(result.code, 0, result.message)
        // An untrained model with 262 outputs: perplexity near the vocabulary size.
        let value = Double(result.output.split(separator: " ")[1]) ?? 0
        XCTAssertGreaterThan(value, 100)
        XCTAssertLessThan(value, 600)
        let short = try runCommand(["perplexity", "--model", model.path, "--text", text.path, "--context", "4096"], in: dir)
        XCTAssertNotEqual(short.code, 0)
        XCTAssertTrue(short.message.contains("lower --context"), short.message)
    }
}

enum CheckpointSteps {
    static func list(_ out: URL) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path)) ?? []
        return names.compactMap { $0.hasPrefix("step-") ? Int($0.dropFirst(5)) : nil }.sorted()
    }
}
