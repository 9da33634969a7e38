import Foundation
import MiniMax
import TestSupport
import Training
import XCTest

/// Ten AdamW steps against `torch.optim.AdamW` (scripts/training/make_adamw_golden.py): M1's
/// β and eps, decoupled weight decay with norms exempt, global-norm clipping and a warm-up +
/// cosine schedule.
final class AdamWTests: XCTestCase {
    struct Golden: Decodable {
        struct Step: Decodable {
            let rate: Double
            let gradient_norm: Double
            let gradients: [String: [Float]]
            let parameters: [String: [Float]]
        }
        let shapes: [String: [Int]]
        let roles: [String: String]
        let start: [String: [Float]]
        let steps: [Step]
    }

    func testTenStepsMatchTorch() throws {
        let url = TestSupport.fixtures("TrainingTests").appendingPathComponent("adamw_golden.json")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        let names = golden.shapes.keys.sorted()
        let declarations = names.map {
            ParameterDeclaration(name: $0, shape: golden.shapes[$0]!, role: ParameterRole(rawValue: golden.roles[$0]!)!)
        }
        let tree = ParameterTree(configuration: try TinyConfiguration.make(), parameters: declarations)
        let parameters = ParameterStore(tree: tree), gradients = ParameterStore(tree: tree)
        for (i, name) in names.enumerated() { parameters.pointer(i).update(from: golden.start[name]!, count: golden.start[name]!.count) }
        let optimizer = AdamW(tree: tree)
        let schedule = LearningRateSchedule(peak: 1e-2, warmupSteps: 3, totalSteps: 10, shape: .cosine, minimumRatio: 0.1)
        for (s, step) in golden.steps.enumerated() {
            XCTAssertEqual(Double(schedule.rate(at: s)), step.rate, accuracy: 1e-9, "learning rate at step \(s)")
            for (i, name) in names.enumerated() { gradients.pointer(i).update(from: step.gradients[name]!, count: step.gradients[name]!.count) }
            let norm = optimizer.update(parameters, gradients: gradients, rate: schedule.rate(at: s))
            XCTAssertEqual(Double(norm), step.gradient_norm, accuracy: 1e-5 * step.gradient_norm, "gradient norm at step \(s)")
            for (i, name) in names.enumerated() {
                let ours = Array(UnsafeBufferPointer(start: parameters.pointer(i), count: tree.parameters[i].elementCount))
                let error = TestSupport.relativeError(ours, step.parameters[name]!)
                XCTAssertLessThan(error, 1e-6, "parameter \(name) after step \(s + 1): relative error \(error)")
            }
        }
    }

    func testSchedulesHaveTheirShapes() {
        let constant = LearningRateSchedule(peak: 1, warmupSteps: 4, totalSteps: 20, shape: .constant)
        XCTAssertEqual((0..<6).map { constant.rate(at: $0) }, [0.25, 0.5, 0.75, 1, 1, 1])
        let linear = LearningRateSchedule(peak: 1, totalSteps: 10, shape: .linear, minimumRatio: 0)
        XCTAssertEqual(linear.rate(at: 5), 0.5, accuracy: 1e-6)
        XCTAssertEqual(linear.rate(at: 10), 0, accuracy: 1e-6)
        let m1 = LearningRateSchedule(peak: 1, totalSteps: 100, shape: .constantThenDecay, minimumRatio: 0.1, decayFraction: 0.2)
        XCTAssertEqual(m1.rate(at: 79), 1)
        XCTAssertEqual(m1.rate(at: 90), 0.55, accuracy: 1e-5)
        XCTAssertEqual(m1.rate(at: 100), 0.1, accuracy: 1e-5)
    }
}

/// A small valid configuration for trees that need one.
enum TinyConfiguration {
    static func make(_ overrides: [String: Any] = [:]) throws -> Configuration {
        var json: [String: Any] = [
            "model_type": "minimax", "vocab_size": 32, "hidden_size": 8, "intermediate_size": 6,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4,
            "num_local_experts": 3, "num_experts_per_tok": 2, "block_size": 4,
            "layer_types": ["linear_attention", "full_attention"],
        ]
        for (k, v) in overrides { json[k] = v }
        return try Configuration.decode(try JSONSerialization.data(withJSONObject: json))
    }
}
