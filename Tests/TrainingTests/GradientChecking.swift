import Foundation
import MiniMax
import TestSupport
import XCTest

/// Finite differences in Double against the analytic naive backward, and fast Float against naive Double.
enum GradientChecking {
    /// Random test values drawn as Float (so the fast Float code sees exactly the same inputs), widened.
    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Double] {
        TestSupport.randomValues(count, seed: seed, scale: scale).map(Double.init)
    }

    static func floats(_ x: [Double]) -> [Float] { x.map(Float.init) }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Central differences of `loss` at `values`, element by element (or at most `sample` spread
    /// elements), against `analytic`: returns ‖fd − analytic‖ / ‖analytic‖ over the checked elements
    /// and fails the test (naming `name`) when it exceeds `tolerance`.
    @discardableResult
    static func check(
        _ name: String, values: [Double], analytic: [Double], sample: Int = 60, tolerance: Double = 1e-6,
        step: Double = 1e-5, file: StaticString = #filePath, line: UInt = #line, loss: ([Double]) -> Double
    ) -> Double {
        precondition(values.count == analytic.count, "\(name): \(values.count) values, \(analytic.count) gradients")
        let stride = max(1, values.count / sample)
        var difference = 0.0, norm = 0.0, perturbed = values
        for i in Swift.stride(from: (values.count - 1) % stride, to: values.count, by: stride) {
            perturbed[i] = values[i] + step
            let up = loss(perturbed)
            perturbed[i] = values[i] - step
            let down = loss(perturbed)
            perturbed[i] = values[i]
            let numeric = (up - down) / (2 * step)
            difference += (numeric - analytic[i]) * (numeric - analytic[i])
            norm += analytic[i] * analytic[i]
        }
        // A gradient that is zero by the math (one key: softmax is constant; top-1: the weight is 1)
        // is compared in absolute terms.
        let error = norm == 0 ? difference.squareRoot() : (difference / norm).squareRoot()
        XCTAssertLessThanOrEqual(error, tolerance, "\(name): finite differences vs analytic", file: file, line: line)
        return error
    }

    /// ‖fast − reference‖ / ‖reference‖ ≤ tolerance, naming the tensor on failure. With a
    /// `baseline` (what an accumulating output held before the call), the increments are compared.
    @discardableResult
    static func compare(
        _ name: String, _ fast: [Float], _ reference: [Double], baseline: [Double]? = nil, tolerance: Double = 1e-5,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Double {
        precondition(fast.count == reference.count, "\(name): \(fast.count) vs \(reference.count) values")
        var difference = 0.0, norm = 0.0
        for i in 0..<fast.count {
            let base = baseline?[i] ?? 0, expected = reference[i] - base
            difference += (Double(fast[i]) - base - expected) * (Double(fast[i]) - base - expected)
            norm += expected * expected
        }
        // A gradient that is zero by the math (one key: softmax is constant; top-1: the weight is 1)
        // is compared in absolute terms.
        let error = norm == 0 ? difference.squareRoot() : (difference / norm).squareRoot()
        XCTAssertLessThanOrEqual(error, tolerance, "\(name): fast Float vs naive Double", file: file, line: line)
        return error
    }

    /// Tracks the worst error seen in a test, printed at its end (the report quotes these).
    final class Worst: @unchecked Sendable {
        let label: String
        var finiteDifference = 0.0, fastVersusNaive = 0.0
        init(_ label: String) { self.label = label }
        func fd(_ e: Double) { finiteDifference = max(finiteDifference, e) }
        func twin(_ e: Double) { fastVersusNaive = max(fastVersusNaive, e) }
        func report() {
            print("[\(label)] worst finite-difference rel. error \(finiteDifference), fast vs naive \(fastVersusNaive)")
        }
    }

    /// A tiny configuration for layer tests (transformers dialect, all fields explicit).
    static func configuration(
        hidden: Int = 10, heads: Int = 2, keyValueHeads: Int = 1, headDim: Int = 4, rotaryDim: Int? = nil,
        experts: Int = 4, expertsPerToken: Int = 2, intermediate: Int = 6, blockSize: Int = 4, layers: Int = 4,
        slidingWindow: Int? = nil
    ) throws -> Configuration {
        var config: [String: Any] = [
            "model_type": "minimax", "vocab_size": 17, "hidden_size": hidden, "intermediate_size": intermediate,
            "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": keyValueHeads,
            "head_dim": headDim, "num_local_experts": experts, "num_experts_per_tok": expertsPerToken,
            "block_size": blockSize, "rms_norm_eps": 1e-5,
            "layer_types": (0..<layers).map { $0 % 2 == 0 ? "linear_attention" : "full_attention" },
            "rope_parameters": ["rope_type": "default", "rope_theta": 10000.0],
        ]
        // An odd head_dim needs an explicit even rotary_dim (the default rotates the whole head).
        if let rotaryDim = rotaryDim ?? (headDim % 2 == 1 ? headDim - 1 : nil) { config["rotary_dim"] = rotaryDim }
        if let slidingWindow { config["sliding_window"] = slidingWindow }
        return try Configuration.decode(try JSONSerialization.data(withJSONObject: config))
    }
}
