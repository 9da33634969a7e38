import Foundation
@testable import MiniMaxCommands
import TestSupport
import XCTest

/// Commands without `--model` use the bundled `models/tiny-arithmetic`; `eval` measures a model.
final class BundledModelCommandTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func run(_ arguments: [String], input: String? = nil) throws -> CommandRun {
        try runCommand(arguments, in: dir, input: input)
    }

    func testGenerateWithoutModelAsksTheBundledModel() throws {
        let result = try run(["generate", "--chat", "--prompt", "What is 23 + 58?", "--max-tokens", "96"])
        XCTAssertEqual(result.code, 0, result.message)
        XCTAssertTrue(result.output.hasPrefix("<think>"), result.output)
        XCTAssertTrue(result.output.contains("</think>81"), result.output)
    }

    func testChatWithoutModelAnswers() throws {
        let result = try run(["chat", "--max-tokens", "96"], input: "Compute 410 - 97.\n/exit\n")
        XCTAssertEqual(result.code, 0, result.message)
        // Not a terminal: the reasoning keeps its tags and the answer starts on its own line.
        XCTAssertTrue(result.output.contains("<think>410-97:"), result.output)
        XCTAssertTrue(result.output.contains("</think>\n313\n"), result.output)
    }

    func testEvalPrintsAccuracyAndWritesEveryAnswer() throws {
        let answers = dir.appendingPathComponent("answers.jsonl")
        let result = try run(["eval", "--problems", "20", "--show", "2", "--answers-out", answers.path])
        XCTAssertEqual(result.code, 0, result.message)
        XCTAssertTrue(result.output.contains("on 20 held-out arithmetic problems (set 0, greedy): accuracy"), result.output)
        let lines = try String(contentsOf: answers, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 20)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        XCTAssertNotNil(first?["response"] as? String)
        XCTAssertNotNil(first?["correct"] as? Bool)
    }

    func testEvalRejectsBadArguments() throws {
        for (arguments, needle) in [
            (["eval", "--problems", "0"], "--problems must be in 1...65536, got 0"),
            (["eval", "--max-tokens", "0"], "--max-tokens must be in"),
            (["eval", "--show", "-1"], "--show must not be negative"),
            (["eval", "--task", "poetry"], "poetry"),
        ] {
            let result = try run(arguments)
            XCTAssertEqual(result.code, 64, "\(arguments): \(result.message)")
            XCTAssertTrue(result.message.contains(needle), "\(arguments): \(result.message)")
        }
        let missing = try run(["eval", "--model", dir.appendingPathComponent("none").path, "--problems", "2"])
        XCTAssertNotEqual(missing.code, 0)
        XCTAssertTrue(missing.message.contains("config.json"), missing.message)
    }

    func testTheBundledModelIsFoundFromTheCheckoutOrTheEnvironment() throws {
        let found = try BundledModel.directory()
        XCTAssertTrue(FileManager.default.fileExists(atPath: found + "/config.json"), found)
        XCTAssertTrue(found.hasSuffix(BundledModel.relativePath), found)
        // MINIMAX_DEFAULT_MODEL replaces the search; one without a config.json is a usage error naming it.
        setenv("MINIMAX_DEFAULT_MODEL", dir.path, 1)
        defer { unsetenv("MINIMAX_DEFAULT_MODEL") }
        XCTAssertEqual(BundledModel.candidates, [dir.path])
        let result = try run(["generate", "--prompt", "x", "--max-tokens", "1"])
        XCTAssertEqual(result.code, 64, result.message)
        XCTAssertTrue(result.message.contains("no --model given and no bundled model with a config.json in \(dir.path)"), result.message)
    }
}
