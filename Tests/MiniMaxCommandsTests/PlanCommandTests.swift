import Foundation
@testable import MiniMaxCommands
import TestSupport
import XCTest

/// `minimax plan` and `minimax plan-check`, end to end in process.
final class PlanCommandTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The real M1 config's fields (../shared/minimax-m1/config.json), so the test runs in a fresh clone.
    func writeM1Config() throws -> URL {
        let object: [String: Any] = [
            "model_type": "minimax_m1", "vocab_size": 200064, "hidden_size": 6144, "intermediate_size": 9216,
            "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 128,
            "num_local_experts": 32, "num_experts_per_tok": 2, "rotary_dim": 64, "rope_theta": 10_000_000,
            "rms_norm_eps": 1e-5, "postnorm": true, "tie_word_embeddings": false,
            "attn_type_list": (0..<80).map { $0 % 8 == 7 ? 1 : 0 },
        ]
        let url = dir.appendingPathComponent("m1-config.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    func testPlansTheRealM1() throws {
        let svg = dir.appendingPathComponent("flops.svg")
        let r1 = Self.repositoryRoot.appendingPathComponent("docs/plan/deepseek-r1-config.json").path
        let run = try runCommand(
            ["plan", "--model", try writeM1Config().path, "--weights", "int8", "--context", "1M",
             "--hardware", "8xH800", "--compare-config", r1, "--plot", svg.path], in: dir)
        XCTAssertEqual(run.code, 0, run.message)
        for needle in [
            "456.09B total", "45.94B active per token",
            "70 lightning layers × 64 heads × 128 × 128 × 4 bytes (fp32) = 293,601,280 B",
            "10 softmax layers × 2 (K, V) × 8 KV heads × 128 × dtype bytes: fp32 81,920 B, bf16 40,960 B",
            "KV at 1M         42,949,672,960 B (42.9 GB)",
            "bf16 no (149%), int8 fits (80%)",
            "generate 64K:", "generate 100,000:",
        ] {
            XCTAssertTrue(run.output.contains(needle), "missing '\(needle)' in:\n\(run.output)")
        }
        let picture = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(picture.contains("DeepSeek-R1") && picture.contains("MiniMax-M1") && picture.contains("generation length"))
    }

    func testJSONAndAConfigDirectory() throws {
        let model = dir.appendingPathComponent("tiny")
        XCTAssertEqual(try runCommand(["random-model", "--out", model.path], in: dir).code, 0)
        let run = try runCommand(["plan", "--model", model.path, "--context", "4K", "--batch", "3", "--json"], in: dir)
        XCTAssertEqual(run.code, 0, run.message)
        let object = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
        XCTAssertEqual(object["context"] as? Int, 4096)
        XCTAssertEqual(object["batch"] as? Int, 3)
        XCTAssertNotNil((object["weight_bytes"] as? [String: Int])?["int4"])
    }

    func testBadInputNamesTheFieldOrOption() throws {
        let bad = dir.appendingPathComponent("bad.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: try writeM1Config())) as! [String: Any]
        object["num_key_value_heads"] = 7
        try JSONSerialization.data(withJSONObject: object).write(to: bad)
        let hardware = dir.appendingPathComponent("hw.json")
        try Data(#"{"memory_gb": 80, "bandwidth_gb_per_s": 0, "peak_tflop_per_s": 1}"#.utf8).write(to: hardware)
        let m1 = try writeM1Config().path
        let cases: [([String], String)] = [
            (["plan", "--model", bad.path], "num_key_value_heads"),
            (["plan", "--model", dir.appendingPathComponent("nowhere").path], "nowhere"),
            (["plan", "--model", m1, "--weights", "int3"], "--weights"),
            (["plan", "--model", m1, "--context", "12Q"], "--context"),
            (["plan", "--model", m1, "--hardware", hardware.path], "bandwidth_gb_per_s"),
            (["plan", "--model", m1, "--hardware", "16xB200"], "8xH800"),
            (["plan", "--model", m1, "--plot", "x.svg"], "--compare-config"),
            (["plan", "--model", m1, "--compare-config", m1], "moe_intermediate_size"),
        ]
        for (arguments, needle) in cases {
            let run = try runCommand(arguments, in: dir)
            XCTAssertNotEqual(run.code, 0, "\(arguments)")
            XCTAssertTrue(run.message.contains(needle), "\(arguments): '\(run.message)' should name \(needle)")
        }
    }

    func testPlanCheckComparesRatios() throws {
        let model = dir.appendingPathComponent("tiny")
        XCTAssertEqual(try runCommand(["random-model", "--out", model.path], in: dir).code, 0)
        let report = dir.appendingPathComponent("bench.json")
        try Data(#"{"weight_bytes_per_token": 1000, "decode": [{"context": 16, "milliseconds_per_token": 9}, {"context": 1024, "milliseconds_per_token": 1.0}, {"context": 4096, "milliseconds_per_token": 1.5}]}"#.utf8).write(to: report)
        let svg = dir.appendingPathComponent("check.svg")
        let run = try runCommand(
            ["plan-check", "--run", "\(model.path)=\(report.path)", "--hardware", Self.repositoryRoot.appendingPathComponent("docs/plan/dev-vm.json").path,
             "--plot", svg.path], in: dir)
        XCTAssertEqual(run.code, 0, run.message)
        XCTAssertTrue(run.output.contains("largest ratio error"), run.output)
        XCTAssertFalse(run.output.contains(" 16 "), "the warm-up decode after 16 tokens is left out:\n\(run.output)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: svg.path))
    }
}
