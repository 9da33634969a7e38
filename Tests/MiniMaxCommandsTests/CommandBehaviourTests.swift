import Foundation
import Kernels
import MiniMax
@testable import MiniMaxCommands
import TestSupport
import XCTest

/// The rough edges a new user meets: flags, messages, usage text, files in the wrong place.
final class CommandBehaviourTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func run(_ arguments: [String], input: String? = nil) throws -> CommandRun {
        try runCommand(arguments, in: dir, input: input)
    }

    func makeModel(_ name: String = "model", _ extra: [String] = []) throws -> URL {
        let model = dir.appendingPathComponent(name)
        let result = try run(["random-model", "--out", model.path, "--seed", "5"] + extra)
        XCTAssertEqual(result.code, 0, result.message)
        return model
    }

    func testVersionFlag() throws {
        let result = try run(["--version"])
        XCTAssertEqual(result.code, 0, result.message)
        XCTAssertEqual(result.message, MiniMaxCommand.version)
    }

    func testNegativeAndOversizedNumbersAreNamedPrecisely() throws {
        let model = try makeModel()
        let cases: [([String], String)] = [
            (["generate", "--model", model.path, "--ids", "-1"], "--ids: item 1 '-1' is negative"),
            (["generate", "--model", model.path, "--ids=-1"], "--ids: item 1 '-1' is negative"),
            (["generate", "--model", model.path, "--prompt", "x", "--max-tokens", "-1"], "--max-tokens must be at least 1, got -1"),
            (["generate", "--model", model.path, "--ids", "99999999999999999999"], "'99999999999999999999' is out of range"),
            (["logits", "--model", model.path, "--ids", "1,-3", "--out", "/tmp/x.npy"], "--ids: item 2 '-3' is negative"),
            (["tokenize", "--model", model.path, "--decode", "-5"], "--decode: item 1 '-5' is negative"),
            (["bench", "--model", model.path, "--decode-tokens", "-2"], "--decode-tokens must be at least 1"),
            (["generate", "--model", model.path, "--prompt", "x", "--threads", "-4"], "--threads must be at least 1, got -4"),
            // Issue 13: this many threads would exhaust the process table of a shared machine.
            (["generate", "--model", model.path, "--prompt", "x", "--threads", "9223372036854775807"],
             "--threads 9223372036854775807 is above the limit 1024"),
            (["bench-kernels", "--threads", "5000"], "--threads 5000 is above the limit 1024"),
            (["generate", "--model", model.path, "--prompt", "x", "--stop", ""], "--stop must not be empty"),
        ]
        for (arguments, needle) in cases {
            let result = try run(arguments)
            XCTAssertEqual(result.code, 64, "\(arguments): \(result.message)")
            XCTAssertTrue(result.message.contains(needle), "\(arguments): \(result.message)")
        }
    }

    /// A mistake in a subcommand's arguments shows that subcommand's usage, not the top level's.
    func testUsageErrorsShowTheSubcommandsUsage() throws {
        let model = try makeModel()
        let cases: [([String], String)] = [
            (["generate", "--model", model.path, "--ids=-1"], "minimax generate"),
            (["random-model", "--out", dir.appendingPathComponent("m2").path, "--dtype", "int8"], "minimax random-model"),
            (["tokenize", "--model", model.path, "--decode", "1,x"], "minimax tokenize"),
            (["bench-kernels", "--shapes", "1,2"], "minimax bench-kernels"),
            (["bench-kernels", "--dtypes", "bfloat16,fp8"], "minimax bench-kernels"),
        ]
        for (arguments, usage) in cases {
            let result = try run(arguments)
            XCTAssertEqual(result.code, 64, "\(arguments)")
            XCTAssertTrue(result.fullMessage.contains("Usage: \(usage)"), "\(arguments): \(result.fullMessage)")
        }
        // A file that cannot be read is not a usage mistake: the error alone, naming the option.
        let missing = try run(["render", "--model", model.path, "--messages", dir.appendingPathComponent("none.json").path])
        XCTAssertNotEqual(missing.code, 0)
        XCTAssertTrue(missing.message.contains("--messages: cannot read"), missing.message)
        XCTAssertFalse(missing.fullMessage.contains("<subcommand>"), missing.fullMessage)
    }

    func testSamplingErrorsNameTheFlag() throws {
        let model = try makeModel()
        let cases: [(String, String, String)] = [
            ("--top-p", "2.0", "--top-p 2.0: must be in (0, 1]"), ("--top-k", "-1", "--top-k -1"),
            ("--min-p", "1.5", "--min-p 1.5"), ("--temperature", "-1", "--temperature -1.0"),
            ("--presence-penalty", "3", "--presence-penalty 3.0: must be in [-2, 2]"),
            ("--frequency-penalty", "-2.5", "--frequency-penalty -2.5"), ("--repeat-penalty", "0", "--repeat-penalty 0.0"),
            ("--repeat-last-n", "-1", "--repeat-last-n -1"),
        ]
        for (flag, value, needle) in cases {
            let result = try run(["generate", "--model", model.path, "--prompt", "x", flag, value])
            XCTAssertEqual(result.code, 64, flag)
            XCTAssertTrue(result.message.contains(needle), "\(flag): \(result.message)")
            XCTAssertFalse(result.message.contains("topP") || result.message.contains("topK") || result.message.contains("minP"), result.message)
        }
    }

    func testRenderNamesTheFileWithBadJSON() throws {
        let model = try makeModel()
        let messages = dir.appendingPathComponent("bad.json")
        try Data("[{\"role\": ".utf8).write(to: messages)
        let result = try run(["render", "--model", model.path, "--messages", messages.path])
        XCTAssertNotEqual(result.code, 0)
        XCTAssertTrue(result.message.contains(messages.path), result.message)
        XCTAssertTrue(result.message.contains("invalid JSON"), result.message)
    }

    /// Issue 13: a config.json with 2^40 layers is refused by every command that reads it,
    /// naming the file and the field, before anything is sized from it.
    func testHostileConfigurationIsRefusedByEveryCommand() throws {
        let model = try makeModel()
        let url = model.appendingPathComponent("config.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        json["num_hidden_layers"] = 1 << 40
        json.removeValue(forKey: "layer_types")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        for arguments in [["inspect", "--model", model.path], ["logits", "--model", model.path, "--ids", "1", "--out", dir.appendingPathComponent("l.npy").path],
                          ["generate", "--model", model.path, "--prompt", "x"]] {
            let result = try run(arguments)
            XCTAssertNotEqual(result.code, 0, "\(arguments)")
            XCTAssertTrue(result.message.contains("config.json: field 'num_hidden_layers'"), "\(arguments): \(result.message)")
            XCTAssertTrue(result.message.contains("above the limit 4095"), "\(arguments): \(result.message)")
        }
    }

    func testRandomModelOutOntoAFileOrAForeignDirectory() throws {
        let file = dir.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let onFile = try run(["random-model", "--out", file.path])
        XCTAssertEqual(onFile.code, 64)
        XCTAssertTrue(onFile.message.contains("--out: \(file.path) exists and is a file"), onFile.message)
        XCTAssertFalse(onFile.message.contains("NSCocoaErrorDomain"), onFile.message)
        let foreign = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: foreign.appendingPathComponent("holiday.jpg"))
        let onForeign = try run(["random-model", "--out", foreign.path])
        XCTAssertEqual(onForeign.code, 64)
        XCTAssertTrue(onForeign.message.contains("holiday.jpg"), onForeign.message)
        // Rewriting its own output is fine (the README's first line, run twice), with or without a tokenizer.
        let model = try makeModel()
        XCTAssertEqual(try run(["random-model", "--out", model.path, "--no-tokenizer"]).code, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model.appendingPathComponent("tokenizer.json").path))
    }

    func testRandomBytesAsWeightsReportAnUnsignedHeaderLength() throws {
        let model = try makeModel()
        var bytes = [UInt8](repeating: 0, count: 4096)
        var state: UInt64 = 7
        for i in bytes.indices { state = state &* 6364136223846793005 &+ 1; bytes[i] = UInt8(state >> 56) }
        bytes[7] = 0xF0  // the length's top byte: ≥ 2^63 as a signed read
        try Data(bytes).write(to: model.appendingPathComponent("model.safetensors"))
        let result = try run(["generate", "--model", model.path, "--ids", "1"])
        XCTAssertNotEqual(result.code, 0)
        XCTAssertTrue(result.message.contains("model.safetensors"), result.message)
        XCTAssertTrue(result.message.contains("not a safetensors file"), result.message)
        XCTAssertFalse(result.message.contains(" -"), result.message)
    }

    func testModelGivenAsAFile() throws {
        let model = try makeModel()
        let config = model.appendingPathComponent("config.json").path
        for arguments in [["inspect", "--model", config], ["generate", "--model", config, "--prompt", "x"],
                          ["tokenize", "--model", config, "--text", "x"]] {
            let result = try run(arguments)
            XCTAssertEqual(result.code, 64, "\(arguments)")
            XCTAssertTrue(result.message.contains("is a file; give the model directory"), result.message)
            XCTAssertFalse(result.message.contains("config.json/config.json"), result.message)
        }
    }

    func testInspectOnATruncatedFilePrintsOnlyTheError() throws {
        let model = try makeModel()
        let weights = model.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count / 2).write(to: weights)
        let result = try run(["inspect", "--model", model.path])
        XCTAssertNotEqual(result.code, 0)
        XCTAssertTrue(result.message.contains("model.safetensors"), result.message)
        XCTAssertEqual(result.output, "", "no report after an error")
    }

    func testGenerateWithoutATokenizerPrintsTheIDs() throws {
        let model = try makeModel("bare", ["--no-tokenizer"])
        let plain = try run(["generate", "--model", model.path, "--ids", "1,2,3", "--max-tokens", "5", "--seed", "2"])
        XCTAssertEqual(plain.code, 0, plain.message)
        XCTAssertTrue(plain.errorOutput.contains("no tokenizer"), plain.errorOutput)
        let json = try run(["generate", "--model", model.path, "--ids", "1,2,3", "--max-tokens", "5", "--seed", "2", "--json"])
        let record = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as! [String: Any]
        let ids = try XCTUnwrap(record["token_ids"] as? [Int])
        XCTAssertEqual(plain.output, ids.map(String.init).joined(separator: ",") + "\n")
    }

    func testPromptIDsBeyondTheTokenizersVocabulary() throws {
        let model = try makeModel()  // vocabulary 512, tokenizer 256 bytes + a few specials
        let result = try run(["generate", "--model", model.path, "--ids", "72,400"])
        XCTAssertNotEqual(result.code, 0)
        XCTAssertTrue(result.message.contains("item 2 (400) is not in the tokenizer's vocabulary"), result.message)
    }

    func testBenchRejectsAContextShorterThanThePrompt() throws {
        let model = try makeModel()
        let result = try run(["bench", "--model", model.path, "--context", "8", "--prompt-tokens", "64"])
        XCTAssertEqual(result.code, 64)
        XCTAssertTrue(result.message.contains("--context 8 is shorter than the --prompt-tokens 64"), result.message)
    }

    func testBenchReportsWeightsAndSaysWhatPeakMemoryIs() throws {
        let model = try makeModel()
        let arguments = ["bench", "--model", model.path, "--prompt-tokens", "8", "--decode-tokens", "2", "--skip-bandwidth", "--threads", "1"]
        let table = try run(arguments)
        XCTAssertEqual(table.code, 0, table.message)
        XCTAssertTrue(table.output.contains("process peak resident"), table.output)
        let json = try run(arguments + ["--json"])
        let report = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as! [String: Any]
        let parameters = ParameterCount(try Configuration.load(directory: model)).total
        XCTAssertEqual(report["weight_bytes"] as? Int, parameters * 4, "float32 weights")
        // An 8-token prompt has tiled rows: part of its prefill is in the matrix kernels, not all.
        XCTAssertTrue(table.output.contains("prefill time in tiled weight products"), table.output)
        let share = try XCTUnwrap(report["prefill_tiled_product_share"] as? Double)
        XCTAssertGreaterThan(share, 0)
        XCTAssertLessThan(share, 1)
    }

    /// `bench-kernels --amx-loads --amx-parts` times the tile-load probe and the product's parts
    /// where the CPU has AMX tiles and says it skipped them elsewhere; either way it exits 0.
    func testBenchKernelsAMXProbesRunOrSayTheySkipped() throws {
        let result = try run(["bench-kernels", "--amx-loads", "--amx-parts", "--dtypes", "bfloat16", "--shapes", "8,32,16", "--threads", "1"])
        XCTAssertEqual(result.code, 0, result.message)
        let lines = result.output.split(separator: "\n")
        let loads = try XCTUnwrap(lines.first { $0.hasPrefix("amx bf16 tile loads") || $0.hasPrefix("amx bf16 tile step") }, result.output)
        XCTAssertTrue(loads.contains("skipped, no AMX bf16 tiles here") || loads.contains("% of the peak"), String(loads))
        let parts = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("amx bf16 product parts T=8 K=32 N=16") }, result.output)
        if !lines[parts].contains("skipped, no AMX bf16 tiles here") {
            XCTAssertTrue(lines[parts].contains("activations packed in"), String(lines[parts]))
            XCTAssertEqual(lines[(parts + 1)...].prefix { $0.hasPrefix("  ") && $0.contains("% of the amx peak") }.count,
                           AMXProductProbe.allCases.count + AMXBFloat16MatMul.Layout.allCases.count, result.output)
        }
    }

    func testChatWithPipedInputKeepsPromptsAndAnswersApart() throws {
        let model = try makeModel()
        let result = try run(["chat", "--model", model.path, "--max-tokens", "3", "--temperature", "0"], input: "Hi\nYo\n")
        XCTAssertEqual(result.code, 0, result.message)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.first, "> Hi", result.output)
        XCTAssertTrue(lines.contains("> Yo"), result.output)
        // Each answer ends its line before the next prompt.
        XCTAssertTrue(result.output.hasSuffix("\n> \n"), result.output)
    }
}
