import Foundation
import MiniMax
import Tensors
import TestSupport
import XCTest

/// Logits of every committed golden case (made by scripts/parity/make_fixtures.py with
/// transformers in float32, or the independent NumPy reference for partial RoPE) must match
/// with relative error ≤ 1e-4 at every position. On failure the message names the first layer
/// whose output diverged.
final class ReferenceParityTests: XCTestCase {
    struct Case: Decodable {
        let ids: [Int]
        let description: String
        let reference: String
    }

    static var caseDirectories: [URL] {
        let root = TestSupport.fixtures("MiniMaxTests").appendingPathComponent("parity")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().map { root.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("case.json").path) }
    }

    func testFixturesArePresent() {
        XCTAssertGreaterThanOrEqual(Self.caseDirectories.count, 8, "golden parity fixtures are missing")
    }

    func testEveryCaseMatchesTheReference() throws {
        for directory in Self.caseDirectories {
            try check(directory)
        }
    }

    func check(_ directory: URL) throws {
        let name = directory.lastPathComponent
        let testCase = try JSONDecoder().decode(Case.self, from: Data(contentsOf: directory.appendingPathComponent("case.json")))
        let model = try MiniMaxModel.load(directory: directory)
        let (reference, shape) = try NumPyFile.read(directory.appendingPathComponent("logits.npy"))
        XCTAssertEqual(shape, [testCase.ids.count, model.configuration.vocabularySize], name)

        var hidden: [Matrix] = []
        var cache = model.makeCache()
        let logits = try model.forward(testCase.ids, cache: &cache) { _, h in hidden.append(h) }

        let vocab = model.configuration.vocabularySize
        var worst = 0.0
        for t in 0..<testCase.ids.count {
            let row = Array(logits.data[(t * vocab)..<((t + 1) * vocab)])
            let ref = Array(reference[(t * vocab)..<((t + 1) * vocab)])
            worst = max(worst, TestSupport.relativeError(row, ref))
        }
        if worst > 1e-4 {
            XCTFail("\(name) (\(testCase.description)): logits relative error \(worst) > 1e-4; \(try firstDivergence(directory, hidden, model.configuration))")
        }

        // The same ids through the cache, 1 and 7 at a time.
        for chunk in [1, 7] {
            var cache = model.makeCache()
            let chunked = try model.prefill(testCase.ids, cache: &cache, chunk: chunk, lastTokenOnly: false)
            let error = TestSupport.relativeError(chunked.data, logits.data)
            XCTAssertLessThanOrEqual(error, 1e-5, "\(name): --chunk \(chunk) differs from one pass by \(error)")
        }
    }

    /// Names the first layer whose output differs from the reference's hidden states.
    func firstDivergence(_ directory: URL, _ hidden: [Matrix], _ c: Configuration) throws -> String {
        let url = directory.appendingPathComponent("hidden_states.npy")
        guard FileManager.default.fileExists(atPath: url.path) else { return "no hidden_states.npy to locate it" }
        let (values, shape) = try NumPyFile.read(url)
        let per = shape.dropFirst().reduce(1, *)
        for (index, h) in hidden.enumerated() where index < shape[0] {
            let error = TestSupport.relativeError(h.data, Array(values[(index * per)..<((index + 1) * per)]))
            if error > 1e-5 {
                return index == 0 ? "the embedding output already differs (\(error))"
                    : "first diverging layer: \(index - 1) (\(c.layerKinds[index - 1].rawValue)), relative error \(error)"
            }
        }
        return "every layer output matches; the final norm or LM head differs"
    }
}

/// `precision: .bfloat16` (activations rounded to bf16 in products with bf16 weights) stays close
/// to the fp32 reference on the bf16 checkpoints and differs from the exact mode (so it is in effect).
final class BFloat16PrecisionParityTests: XCTestCase {
    func testBFloat16ActivationsStayCloseToTheReference() throws {
        var checked = 0
        for directory in ReferenceParityTests.caseDirectories {
            let exact = try MiniMaxModel.load(directory: directory)
            let hasBFloat16Experts = exact.weights.layers.contains { $0.moe.experts.contains { $0.gate.dtype == .bfloat16 } }
            guard hasBFloat16Experts else { continue }
            let fast = try MiniMaxModel.load(directory: directory, precision: .bfloat16)
            let ids = try JSONDecoder().decode(ReferenceParityTests.Case.self,
                                               from: Data(contentsOf: directory.appendingPathComponent("case.json"))).ids
            let (reference, _) = try NumPyFile.read(directory.appendingPathComponent("logits.npy"))
            var cache = fast.makeCache(), exactCache = exact.makeCache()
            let logits = try fast.forward(ids, cache: &cache)
            let exactLogits = try exact.forward(ids, cache: &exactCache)
            let error = TestSupport.relativeError(logits.data, reference)
            XCTAssertLessThan(error, 1e-2, "\(directory.lastPathComponent): bf16-activation logits vs reference \(error)")
            XCTAssertNotEqual(logits.data, exactLogits.data, "\(directory.lastPathComponent): bf16 precision had no effect")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 1, "no bf16 parity case found")
    }
}
