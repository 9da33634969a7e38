import Foundation
@testable import MiniMaxCommands
import TestSupport
import XCTest

/// `generate`'s prompt sources, progress on stderr, and Ctrl-C.
final class GenerateCommandTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func makeModel(_ extra: [String] = []) throws -> URL {
        let model = dir.appendingPathComponent("model")
        let result = try runCommand(["random-model", "--out", model.path, "--seed", "5"] + extra, in: dir)
        XCTAssertEqual(result.code, 0, result.message)
        return model
    }

    func tokenIDs(_ run: CommandRun) throws -> [Int] {
        XCTAssertEqual(run.code, 0, run.message)
        let record = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
        return try XCTUnwrap(record["token_ids"] as? [Int])
    }

    func testPromptFromAFileAndFromStandardInput() throws {
        let model = try makeModel()
        let prompt = "A prompt\nover two lines -- with dashes"
        let file = dir.appendingPathComponent("prompt.txt")
        try Data(prompt.utf8).write(to: file)
        let common = ["generate", "--model", model.path, "--max-tokens", "4", "--seed", "3", "--json"]
        let inline = try tokenIDs(try runCommand(common + ["--prompt", prompt], in: dir))
        XCTAssertEqual(try tokenIDs(try runCommand(common + ["--prompt-file", file.path], in: dir)), inline)
        XCTAssertEqual(try tokenIDs(try runCommand(common + ["--prompt", "-"], in: dir, input: prompt)), inline)
        let missing = try runCommand(common + ["--prompt-file", dir.appendingPathComponent("none").path], in: dir)
        XCTAssertNotEqual(missing.code, 0)
        XCTAssertTrue(missing.message.contains("--prompt-file: cannot read"), missing.message)
        let both = try runCommand(common + ["--prompt", "x", "--prompt-file", file.path], in: dir)
        XCTAssertEqual(both.code, 64)
        XCTAssertTrue(both.message.contains("exactly one of --prompt, --prompt-file or --ids"), both.message)
    }

    func testLoadLineAndTimingSummaryOnStandardError() throws {
        let model = try makeModel()
        let result = try runCommand(["generate", "--model", model.path, "--prompt", "Hello", "--max-tokens", "5", "--temperature", "0"], in: dir)
        XCTAssertEqual(result.code, 0, result.message)
        let lines = result.errorOutput.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("loading \(model.path)") }, result.errorOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("loaded in ") && $0.contains("4 layers, vocabulary 512") }, result.errorOutput)
        let summary = try XCTUnwrap(lines.last.map(String.init))
        XCTAssertTrue(summary.hasPrefix("prompt 5 tokens in "), summary)
        XCTAssertTrue(summary.contains("tokens/s), generated "), summary)
        XCTAssertTrue(summary.hasSuffix("finish: length") || summary.hasSuffix("finish: stop"), summary)
        XCTAssertFalse(result.output.contains("tokens/s"), "progress stays off stdout")
    }

    /// The penalty flags reach the sampler: greedy output changes under each, and not at neutral values.
    func testPenaltyFlagsChangeGreedyOutput() throws {
        let model = try makeModel()
        let common = ["generate", "--model", model.path, "--prompt", "Hello", "--max-tokens", "24", "--temperature", "0", "--json"]
        let plain = try tokenIDs(try runCommand(common, in: dir))
        XCTAssertEqual(try tokenIDs(try runCommand(common + ["--repeat-penalty", "1", "--presence-penalty", "0"], in: dir)), plain)
        for flags in [["--frequency-penalty", "2"], ["--presence-penalty", "2"], ["--repeat-penalty", "3"]] {
            XCTAssertNotEqual(try tokenIDs(try runCommand(common + flags, in: dir)), plain, "\(flags)")
        }
    }

    /// Ctrl-C stops the output cleanly and exits 130 (without the handler SIGINT would end the
    /// test process).
    func testInterruptExitsWith130() throws {
        let model = dir.appendingPathComponent("long")
        var config = try JSONSerialization.jsonObject(with: Data(RandomModelCommand.presetJSON(.tiny).utf8)) as! [String: Any]
        config.removeValue(forKey: "eos_token_id")
        config["max_position_embeddings"] = 1_000_000
        let configURL = dir.appendingPathComponent("long.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertEqual(try runCommand(["random-model", "--out", model.path, "--config", configURL.path, "--no-tokenizer"], in: dir).code, 0)

        // Sends SIGINT once the first ids are out.
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        let sender = Thread { [dir] in
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: dir!.path)) ?? []
                if let out = files.first(where: { $0.hasPrefix("stdout-") && !before.contains($0) }),
                   let size = try? FileManager.default.attributesOfItem(atPath: dir!.appendingPathComponent(out).path)[.size] as? Int,
                   size > 0 {
                    kill(getpid(), SIGINT)
                    return
                }
                usleep(1000)
            }
        }
        sender.start()
        let result = try runCommand(["generate", "--model", model.path, "--ids", "1,2,3", "--max-tokens", "900000", "--temperature", "1"], in: dir)
        XCTAssertEqual(result.code, 130, result.message)
        XCTAssertTrue(result.output.hasSuffix("\n"), "the output ends its line")
        XCTAssertTrue(result.errorOutput.contains("finish: interrupted"), result.errorOutput)
    }
}
