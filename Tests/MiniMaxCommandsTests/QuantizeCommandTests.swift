import ArgumentParser
import Foundation
import MiniMax
@testable import MiniMaxCommands
import Tensors
import TestSupport
import XCTest

/// `minimax quantize`, in process: it writes a model the other commands load (inspect finds
/// nothing missing or unused), and every usage error exits non-zero naming the flag or path.
final class QuantizeCommandTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> (code: Int32, message: String) {
        runForExitCode(arguments, in: dir, file: file, line: line)
    }

    func makeModel() -> URL {
        let model = dir.appendingPathComponent("model")
        XCTAssertEqual(run(["random-model", "--out", model.path, "--preset", "tiny", "--dtype", "bfloat16", "--seed", "3"]).code, 0)
        return model
    }

    func testQuantizedModelsLoadAndInspectClean() throws {
        let model = makeModel()
        for (type, extra) in [("int8", [String]()), ("q4", ["--group-size", "64", "--scope", "linear"]), ("int8", ["--scope", "all"]), ("q4", ["--scope", "all"])] {
            let out = dir.appendingPathComponent(([type] + extra).joined(separator: "_"))
            XCTAssertEqual(run(["quantize", "--model", model.path, "--out", out.path, "--type", type] + extra).code, 0, type)
            let configuration = try Configuration.load(directory: out)
            XCTAssertEqual(configuration.quantization?.scheme.rawValue, type)
            let text = try InspectCommand.describeTensors(configuration, directory: out)
            XCTAssertTrue(text.contains("missing tensors     0"), text)
            XCTAssertTrue(text.contains("unused tensors      0"), text)
            XCTAssertTrue(text.contains("wrong shapes/dtypes 0"), text)
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("tokenizer.json").path), "tokenizer copied")
            // q4 over everything keeps attention and LM head at int8 unless told otherwise.
            XCTAssertEqual(configuration.quantization?.headScheme, type == "q4" && extra.contains("all") ? .int8 : nil, out.path)
            XCTAssertEqual(configuration.quantization?.attentionScheme, type == "q4" && extra.contains("all") ? .int8 : nil, out.path)
            let logits = dir.appendingPathComponent("\(out.lastPathComponent).npy")
            XCTAssertEqual(run(["logits", "--model", out.path, "--ids", "1,2,3", "--out", logits.path]).code, 0)
            XCTAssertEqual(try NumPyFile.read(logits).shape, [3, configuration.vocabularySize])
        }
    }

    func testUsageErrorsNameTheProblem() throws {
        let model = makeModel()
        let out = dir.appendingPathComponent("out").path
        let cases: [([String], String)] = [
            (["quantize", "--model", model.path, "--out", out, "--type", "int4"], "--type"),
            (["quantize", "--model", model.path, "--out", out, "--type", "q4", "--group-size", "48"], "--group-size"),
            (["quantize", "--model", model.path, "--out", out, "--type", "q4", "--group-size", "0"], "--group-size"),
            (["quantize", "--model", model.path, "--out", out, "--type", "int8", "--scope", "everything"], "--scope"),
            (["quantize", "--model", model.path, "--out", model.path, "--type", "int8"], "already exists"),
            (["quantize", "--model", model.path, "--out", out, "--type", "q4", "--head-type", "int8"], "--scope all"),
            (["quantize", "--model", model.path, "--out", out, "--type", "q4", "--scope", "all", "--head-type", "q6"], "--head-type"),
            (["quantize", "--model", model.path, "--out", out, "--type", "q4", "--attention-type", "int8"], "--scope linear or all"),
            (["quantize", "--model", dir.appendingPathComponent("nowhere").path, "--out", out, "--type", "int8"], "nowhere"),
        ]
        for (arguments, needle) in cases {
            let (code, message) = run(arguments)
            XCTAssertNotEqual(code, 0, "\(arguments)")
            XCTAssertTrue(message.contains(needle), "\(arguments): \(message)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed run must not leave output behind")
        // Quantizing a quantized model is refused.
        let int8 = dir.appendingPathComponent("int8").path
        XCTAssertEqual(run(["quantize", "--model", model.path, "--out", int8, "--type", "int8"]).code, 0)
        let (code, message) = run(["quantize", "--model", int8, "--out", out, "--type", "q4"])
        XCTAssertNotEqual(code, 0)
        XCTAssertTrue(message.contains("quantization_config"), message)
        // Training-side commands keep fp32 parameters: they refuse a quantized model by name.
        let gradients = dir.appendingPathComponent("g.safetensors").path
        let (gradCode, gradMessage) = run(["grad", "--model", int8, "--ids", "1,2,3", "--out", gradients])
        XCTAssertNotEqual(gradCode, 0)
        XCTAssertTrue(gradMessage.contains("quantization_config"), gradMessage)
    }
}
