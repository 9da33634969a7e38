import Foundation
import MiniMax
import TestSupport
import XCTest

final class ConfigurationTests: XCTestCase {
    func testRealM1ConfigGivesTheRealPlan() throws {
        guard let shared = TestSupport.sharedDirectory else { throw XCTSkip("../shared is absent") }
        let c = try Configuration.load(directory: shared.appendingPathComponent("minimax-m1"))
        XCTAssertEqual(c.layerCount, 80)
        XCTAssertEqual(c.layerKinds.filter { $0 == .lightning }.count, 70)
        XCTAssertEqual(c.layerKinds.indices.filter { c.layerKinds[$0] == .softmax }, Array(stride(from: 7, through: 79, by: 8)))
        XCTAssertEqual(c.headDim, 128)
        XCTAssertEqual(c.rotaryDim, 64)
        XCTAssertEqual(c.ropeTheta, 1e7)
        XCTAssertEqual(c.keyValueHeadCount, 8)
        XCTAssertEqual(c.mlpResidual.alpha, 3.5565588200778455, accuracy: 1e-6)
        XCTAssertEqual(c.lightningResidual.beta, 1)
        let counts = ParameterCount(c)
        XCTAssertEqual(Double(counts.total) / 1e9, 456.09, accuracy: 0.005)
        XCTAssertEqual(Double(counts.activePerToken) / 1e9, 45.94, accuracy: 0.005)
    }

    func testTransformersDialectDefaults() throws {
        let json = #"{"vocab_size": 10, "hidden_size": 8, "intermediate_size": 4, "num_hidden_layers": 3, "num_attention_heads": 2}"#
        let c = try Configuration.decode(Data(json.utf8))
        XCTAssertEqual(c.layerKinds, [.softmax, .lightning, .softmax], "transformers alternates starting with full attention")
        XCTAssertEqual(c.headDim, 4)
        XCTAssertEqual(c.keyValueHeadCount, 2)
        XCTAssertEqual(c.ropeTheta, 1e6)
        XCTAssertEqual(c.rotaryDim, 4)
        XCTAssertEqual(c.blockSize, 256)
        XCTAssertEqual(c.mlpResidual, ResidualFactors(alpha: 1, beta: 1))
    }

    func testRopeParametersWinAndPartialRotaryFactor() throws {
        let json = #"{"vocab_size": 10, "hidden_size": 8, "intermediate_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "head_dim": 16, "rope_theta": 5.0, "rope_parameters": {"rope_type": "default", "rope_theta": 77.0, "partial_rotary_factor": 0.5}}"#
        let c = try Configuration.decode(Data(json.utf8))
        XCTAssertEqual(c.ropeTheta, 77)
        XCTAssertEqual(c.rotaryDim, 8)
    }

    func testEncodingRoundTrips() throws {
        guard let shared = TestSupport.sharedDirectory else { throw XCTSkip("../shared is absent") }
        let c = try Configuration.load(directory: shared.appendingPathComponent("minimax-m1"))
        let again = try Configuration.decode(try JSONEncoder().encode(c))
        XCTAssertEqual(again, c)
    }

    func testSlopesFollowTheReferenceFormula() throws {
        let json = #"{"vocab_size": 10, "hidden_size": 8, "intermediate_size": 4, "num_hidden_layers": 5, "num_attention_heads": 3}"#
        let c = try Configuration.decode(Data(json.utf8))
        let slopes = c.lightningSlopes(layer: 2)
        for h in 0..<3 {
            let expected = pow(2.0, -8.0 * Double(h + 1) / 3) * (1 - 2 / (4 + 1e-5) + 1e-5)
            XCTAssertEqual(Double(slopes[h]), expected, accuracy: expected * 1e-6)
        }
    }

    func testErrorsNameTheField() {
        func error(_ json: String) -> String {
            do { _ = try Configuration.decode(Data(json.utf8), path: "dir/config.json"); return "no error" } catch { return "\(error)" }
        }
        let base = #""vocab_size": 10, "hidden_size": 8, "intermediate_size": 4, "num_attention_heads": 2"#
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": 3, \"layer_types\": [\"linear_attention\"]}").contains("'layer_types'"))
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": 2, \"attn_type_list\": [0, 1, 1]}").contains("'attn_type_list'"))
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": 1, \"attn_type_list\": [2]}").contains("attn_type_list[0]"))
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": 1, \"layer_types\": [\"mamba\"]}").contains("layer_types[0]"))
        XCTAssertTrue(error(#"{"vocab_size": 10}"#).contains("hidden_size"))
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": \"three\"}").contains("num_hidden_layers"))
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": 1, \"num_key_value_heads\": 3}").contains("num_key_value_heads"))
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": 1, \"rotary_dim\": 3}").contains("rotary_dim"))
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": 1, \"hidden_act\": \"gelu\"}").contains("hidden_act"))
        XCTAssertTrue(error("{\(base), \"num_hidden_layers\": 1, \"num_experts_per_tok\": 9}").contains("num_experts_per_tok"))
        XCTAssertTrue(error("{not json").contains("dir/config.json"))
        XCTAssertTrue(error("[1, 2]").contains("invalid JSON"))
    }

    func testMissingConfigFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try Configuration.load(directory: dir)) { error in
            XCTAssertEqual(error as? ConfigurationError, .missingFile(path: dir.appendingPathComponent("config.json").path))
        }
    }
}
