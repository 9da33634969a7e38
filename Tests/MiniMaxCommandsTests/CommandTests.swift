import ArgumentParser
import Foundation
import MiniMax
@testable import MiniMaxCommands
import Tensors
import TestSupport
import XCTest

/// The command line, end to end and in process.
final class CommandTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Parses and runs `arguments`; returns the exit code ArgumentParser would use.
    @discardableResult
    func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> (code: Int32, message: String) {
        runForExitCode(arguments, in: dir, file: file, line: line)
    }

    func makeModel() -> URL {
        let model = dir.appendingPathComponent("model")
        XCTAssertEqual(run(["random-model", "--out", model.path, "--preset", "tiny", "--seed", "3"]).code, 0)
        return model
    }

    func testLogitsOnePassAndChunksAgree() throws {
        let model = makeModel()
        let ids = (0..<37).map { String(($0 * 13) % 512) }.joined(separator: ",")
        var results: [[Float]] = []
        for chunk in [nil, 1, 7] as [Int?] {
            let out = dir.appendingPathComponent("logits-\(chunk ?? 0).npy")
            var arguments = ["logits", "--model", model.path, "--ids", ids, "--out", out.path]
            if let chunk { arguments += ["--chunk", "\(chunk)"] }
            XCTAssertEqual(run(arguments).code, 0)
            let (values, shape) = try NumPyFile.read(out)
            XCTAssertEqual(shape, [37, 512])
            results.append(values)
        }
        XCTAssertLessThanOrEqual(TestSupport.relativeError(results[1], results[0]), 1e-5)
        XCTAssertLessThanOrEqual(TestSupport.relativeError(results[2], results[0]), 1e-5)
    }

    func testLogitsErrorsExitNonZeroAndNameTheProblem() throws {
        let model = makeModel()
        let out = dir.appendingPathComponent("x.npy").path
        let cases: [([String], String)] = [
            (["logits", "--model", dir.appendingPathComponent("nowhere").path, "--ids", "1", "--out", out], "config.json"),
            (["logits", "--model", model.path, "--ids", "1,512", "--out", out], "512"),
            (["logits", "--model", model.path, "--ids", "1,x", "--out", out], "--ids"),
            (["logits", "--model", model.path, "--ids", "1", "--out", out, "--chunk", "0"], "--chunk"),
            (["logits", "--model", model.path, "--ids", "1", "--out", "/nonexistent-dir/x.npy"], "/nonexistent-dir"),
        ]
        for (arguments, needle) in cases {
            let (code, message) = run(arguments)
            XCTAssertNotEqual(code, 0, "\(arguments)")
            XCTAssertTrue(message.contains(needle), "\(arguments): \(message)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed run must not leave output behind")
    }

    func testBrokenConfigAndTruncatedWeights() throws {
        let model = makeModel()
        let out = dir.appendingPathComponent("x.npy").path
        let weights = model.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count / 2).write(to: weights)
        var (code, message) = run(["logits", "--model", model.path, "--ids", "1", "--out", out])
        XCTAssertNotEqual(code, 0)
        XCTAssertTrue(message.contains("model.safetensors"), message)
        try Data("{\"vocab_size\": ".utf8).write(to: model.appendingPathComponent("config.json"))
        (code, message) = run(["inspect", "--model", model.path])
        XCTAssertNotEqual(code, 0)
        XCTAssertTrue(message.contains("config.json"), message)
    }

    func testInspectRealM1IndexWithoutShards() throws {
        guard let shared = TestSupport.sharedDirectory else { throw XCTSkip("../shared is absent") }
        let configuration = try Configuration.load(directory: shared.appendingPathComponent("minimax-m1"))
        let text = InspectCommand.describe(configuration)
        XCTAssertTrue(text.contains("80 (70 lightning, 10 softmax)"), text)
        XCTAssertTrue(text.contains("456.09B total, 45.94B active"), text)
        XCTAssertTrue(text.contains("0-6 lightning, 7 softmax, 8-14 lightning"), text)
        let tensors = try InspectCommand.describeTensors(configuration, directory: shared.appendingPathComponent("minimax-m1"))
        XCTAssertTrue(tensors.contains("8243 in 413 file(s), 0 present"), tensors)
        XCTAssertTrue(tensors.contains("missing tensors     0"), tensors)
        XCTAssertEqual(run(["inspect", "--model", shared.appendingPathComponent("minimax-m1").path]).code, 0)
    }

    func testInspectReportsMissingAndUnusedTensors() throws {
        let model = makeModel()
        let index = #"{"weight_map": {"model.embed_tokens.weight": "a.safetensors", "model.extra.weight": "a.safetensors"}}"#
        try Data(index.utf8).write(to: model.appendingPathComponent("model.safetensors.index.json"))
        let configuration = try Configuration.load(directory: model)
        let text = try InspectCommand.describeTensors(configuration, directory: model)
        XCTAssertTrue(text.contains("unused tensors      1"), text)
        XCTAssertTrue(text.contains("model.extra.weight"), text)
        XCTAssertTrue(text.contains("missing tensors     78"), text)
        XCTAssertTrue(text.contains("… and 28 more"), text)
    }
}
