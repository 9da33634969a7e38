import ArgumentParser
import Foundation
@testable import MiniMaxCommands
import TestSupport
import XCTest

/// tokenize, render and generate, end to end in process (stdout captured).
final class TextCommandTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Runs the command with stdout redirected to a file; returns (exit code, stdout, error message).
    func run(_ arguments: [String]) throws -> (code: Int32, output: String, message: String) {
        let capture = dir.appendingPathComponent("stdout-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: capture.path, contents: nil)
        let handle = try FileHandle(forWritingTo: capture)
        fflush(stdout)
        let saved = dup(STDOUT_FILENO)
        dup2(handle.fileDescriptor, STDOUT_FILENO)
        var code: Int32 = 0, message = ""
        do {
            var command = try MiniMaxCommand.parseAsRoot(arguments)
            try command.run()
        } catch {
            code = MiniMaxCommand.exitCode(for: error).rawValue
            message = MiniMaxCommand.message(for: error)
        }
        fflush(stdout)
        dup2(saved, STDOUT_FILENO)
        close(saved)
        try handle.close()
        return (code, try String(contentsOf: capture, encoding: .utf8), message)
    }

    func makeModel() throws -> URL {
        let model = dir.appendingPathComponent("model")
        XCTAssertEqual(try run(["random-model", "--out", model.path, "--seed", "5"]).code, 0)
        return model
    }

    func testTokenizeRoundTrip() throws {
        let model = try makeModel()
        let encoded = try run(["tokenize", "--model", model.path, "--text", "Hé <end_of_sentence>"])
        XCTAssertEqual(encoded.code, 0, encoded.message)
        XCTAssertEqual(encoded.output, "[72, 195, 169, 32, 259]\n")
        let decoded = try run(["tokenize", "--model", model.path, "--decode", "72,195,169,32,259"])
        XCTAssertEqual(decoded.output, "Hé <end_of_sentence>\n")
        XCTAssertNotEqual(try run(["tokenize", "--model", model.path, "--decode", "72,9999999"]).code, 0)
        XCTAssertNotEqual(try run(["tokenize", "--model", model.path]).code, 0)
        XCTAssertNotEqual(try run(["tokenize", "--model", dir.path, "--text", "x"]).code, 0, "no tokenizer files")
    }

    func testRenderMatchesTheChatFormat() throws {
        let model = try makeModel()
        let messages = dir.appendingPathComponent("messages.json")
        try Data(#"[{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]"#.utf8).write(to: messages)
        let rendered = try run(["render", "--model", model.path, "--messages", messages.path])
        XCTAssertEqual(rendered.code, 0, rendered.message)
        XCTAssertEqual(rendered.output, "<begin_of_document><beginning_of_sentence>system ai_setting=assistant\nBe brief.<end_of_sentence>\n<beginning_of_sentence>user name=user\nHi<end_of_sentence>\n<beginning_of_sentence>ai name=assistant\n")
        let noPrompt = try run(["render", "--model", model.path, "--messages", messages.path, "--no-generation-prompt"])
        XCTAssertFalse(noPrompt.output.hasSuffix("ai name=assistant\n"))
        try Data(#"[{"role": 3}]"#.utf8).write(to: messages)
        let bad = try run(["render", "--model", model.path, "--messages", messages.path])
        XCTAssertNotEqual(bad.code, 0)
        XCTAssertTrue(bad.message.contains("messages[0].role"), bad.message)
    }

    func testGenerateJSONIsReproducibleAndComplete() throws {
        let model = try makeModel()
        let arguments = ["generate", "--model", model.path, "--prompt", "Hello", "--max-tokens", "6", "--seed", "9", "--json"]
        let first = try run(arguments), second = try run(arguments)
        XCTAssertEqual(first.code, 0, first.message)
        let a = try JSONSerialization.jsonObject(with: Data(first.output.utf8)) as! [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(second.output.utf8)) as! [String: Any]
        XCTAssertEqual(a["token_ids"] as? [Int], b["token_ids"] as? [Int], "same seed, same tokens")
        XCTAssertEqual((a["token_ids"] as? [Int])?.count, 6)
        XCTAssertEqual(a["finish_reason"] as? String, "length")
        for key in ["text", "reasoning", "tool_calls", "timing"] { XCTAssertNotNil(a[key], key) }
        let chat = try run(["generate", "--model", model.path, "--prompt", "Hi", "--chat", "--system", "S", "--max-tokens", "3", "--temperature", "0", "--json"])
        XCTAssertEqual(chat.code, 0, chat.message)
    }

    func testGenerateRejectsBadInput() throws {
        let model = try makeModel()
        let cases: [([String], String)] = [
            (["generate", "--model", model.path, "--prompt", ""], "--prompt"),
            (["generate", "--model", model.path], "--prompt"),
            (["generate", "--model", model.path, "--prompt", "x", "--temperature", "-1"], "temperature"),
            (["generate", "--model", model.path, "--prompt", "x", "--top-p", "1.5"], "--top-p 1.5"),
            (["generate", "--model", model.path, "--prompt", "x", "--max-tokens", "0"], "--max-tokens"),
            (["generate", "--model", model.path, "--ids", "1,100000"], "100000"),
            (["generate", "--model", model.path, "--prompt", "x", "--system", "s"], "--chat"),
        ]
        for (arguments, needle) in cases {
            let result = try run(arguments)
            XCTAssertNotEqual(result.code, 0, "\(arguments)")
            XCTAssertTrue(result.message.contains(needle), "\(arguments): \(result.message)")
        }
        // A prompt longer than the context.
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("config.json"))) as! [String: Any]
        config["max_position_embeddings"] = 4
        try JSONSerialization.data(withJSONObject: config).write(to: model.appendingPathComponent("config.json"))
        let long = try run(["generate", "--model", model.path, "--prompt", "a long prompt"])
        XCTAssertNotEqual(long.code, 0)
        XCTAssertTrue(long.message.contains("context"), long.message)
    }
}
