import Foundation
import MiniMax
import TestSupport
import XCTest

/// Hostile config.json values (issue 13): each becomes a `ConfigurationError` naming the field
/// and the limit, before anything is sized from it.
final class ConfigurationLimitTests: XCTestCase {
    private let tiny: [String: Any] = [
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "num_local_experts": 4,
        "num_experts_per_tok": 2,
    ]

    private func error(_ overrides: [String: Any], removing: [String] = []) throws -> ConfigurationError? {
        var json = tiny
        json.merge(overrides) { $1 }
        for key in removing { json.removeValue(forKey: key) }
        do {
            _ = try Configuration.decode(try JSONSerialization.data(withJSONObject: json))
            return nil
        } catch let error as ConfigurationError {
            return error
        }
    }

    private func assertRejects(_ overrides: [String: Any], field: String, mentioning needle: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let found = try error(overrides)
        guard case .invalidField(path: "config.json", field: field, _)? = found else {
            return XCTFail("\(overrides): expected an error on \(field), got \(String(describing: found))", file: file, line: line)
        }
        XCTAssertTrue(found?.description.contains(needle) == true, "\(found!.description)", file: file, line: line)
    }

    func testEverySizeFieldHasALimit() throws {
        let huge = 1 << 40
        for field in ["vocab_size", "hidden_size", "intermediate_size", "num_attention_heads", "head_dim", "num_local_experts"] {
            try assertRejects([field: huge], field: field, mentioning: "above the limit")
        }
        try assertRejects(["num_key_value_heads": huge, "num_attention_heads": 4], field: "num_key_value_heads", mentioning: "above the limit")
        try assertRejects(["block_size": huge], field: "block_size", mentioning: "above the limit 4096")
        try assertRejects(["max_position_embeddings": huge], field: "max_position_embeddings", mentioning: "above the limit")
        try assertRejects(["sliding_window": huge], field: "sliding_window", mentioning: "above the limit")
    }

    /// 2^40 layers without a plan used to build a 2^40-entry layer list (or trap in
    /// `ParameterCount`): now refused before the plan is built.
    func testHugeLayerCountIsRefusedBeforeThePlanIsBuilt() throws {
        try assertRejects(["num_hidden_layers": 1 << 40], field: "num_hidden_layers", mentioning: "above the limit 4095")
        try assertRejects(["num_hidden_layers": Int.max], field: "num_hidden_layers", mentioning: "above the limit 4095")
    }

    /// Fields each within its limit whose product is not: the parameter total is checked with
    /// overflow-reporting arithmetic.
    func testTotalsAreCheckedWithOverflowReportingArithmetic() throws {
        let json: [String: Any] = [
            "vocab_size": (1 << 24) - 1, "hidden_size": (1 << 17) - 1, "intermediate_size": (1 << 18) - 1,
            "num_hidden_layers": 4095, "num_attention_heads": 4095, "num_key_value_heads": 4095, "head_dim": 4094,
            "num_local_experts": 32,
        ]
        try assertRejects(json, field: "(parameter total)", mentioning: "above the limit 2^48")
    }

    /// Tiny matrices but 4095 layers of 4095 experts: 50 million tensor names to list.
    func testTensorCountIsBounded() throws {
        try assertRejects(["num_hidden_layers": 4095, "num_local_experts": 4095, "hidden_size": 1, "intermediate_size": 1,
                           "head_dim": 2, "num_attention_heads": 1, "num_key_value_heads": 1],
                          field: "num_local_experts", mentioning: "above the limit 2^20")
    }

    func testFloatingFieldsConvertedToIntegersAreChecked() throws {
        try assertRejects(["partial_rotary_factor": 1e308], field: "partial_rotary_factor", mentioning: "not in (0, 1]")
        try assertRejects(["partial_rotary_factor": -0.5], field: "partial_rotary_factor", mentioning: "not in (0, 1]")
        try assertRejects(["rope_parameters": ["partial_rotary_factor": 2.0]], field: "partial_rotary_factor", mentioning: "not in (0, 1]")
    }

    func testTokenIDsAreBounded() throws {
        try assertRejects(["eos_token_id": -1], field: "eos_token_id", mentioning: "not a token id")
        try assertRejects(["eos_token_id": [1, 1 << 30]], field: "eos_token_id[1]", mentioning: "not a token id")
        try assertRejects(["bos_token_id": -7], field: "bos_token_id", mentioning: "not a token id")
    }

    func testNonFiniteResidualFactorsAreRefused() throws {
        var c = try Configuration.decode(try JSONSerialization.data(withJSONObject: tiny))
        c.mlpResidual.alpha = .infinity
        XCTAssertThrowsError(try c.validate()) { error in
            XCTAssertEqual(error as? ConfigurationError,
                           .invalidField(path: "config.json", field: "mlp_alpha_factor", reason: "must be a finite number"))
        }
    }

    func testRealM1ConfigurationIsWithinEveryLimit() throws {
        guard let shared = TestSupport.sharedDirectory else { throw XCTSkip("../shared is absent") }
        let c = try Configuration.load(directory: shared.appendingPathComponent("minimax-m1"))
        let sizes = try ConfigurationSizes(c)
        XCTAssertEqual(Double(sizes.totalParameters) / 1e9, 456.09, accuracy: 0.005)
        XCTAssertEqual(sizes.largestTensorElements, 32 * 2 * 9216 * 6144, "a fused gate_up tensor is M1's largest")
    }
}
