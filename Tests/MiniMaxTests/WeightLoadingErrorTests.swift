import Foundation
import MiniMax
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// Broken checkpoints fail with an error naming the file and tensor, never a crash.
final class WeightLoadingErrorTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Rewrites model.safetensors after `edit` changes the tensor list.
    func rewrite(_ edit: (inout [(name: String, tensor: TensorView)]) -> Void) throws {
        let url = dir.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var tensors = try file.entries.keys.sorted().map { (name: $0, tensor: try file.tensor($0)) }
        edit(&tensors)
        try SafeTensorsWriter.write(tensors, to: url)
    }

    func testMissingTensor() throws {
        try RandomCheckpoint.write(to: dir)
        try rewrite { $0.removeAll { $0.name == "model.layers.2.self_attn.qkv_proj.weight" } }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: dir)) { error in
            XCTAssertEqual(error as? WeightError, .missingTensor(name: "model.layers.2.self_attn.qkv_proj.weight", directory: dir.path))
        }
    }

    func testWrongShape() throws {
        try RandomCheckpoint.write(to: dir)
        try rewrite { tensors in
            let i = tensors.firstIndex { $0.name == "model.layers.1.self_attn.k_proj.weight" }!
            tensors[i].tensor = TensorView.owned([Float](repeating: 0, count: 12 * 20), shape: [12, 20])
        }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: dir)) { error in
            guard case WeightError.wrongShape(let name, _, let expected, let actual) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "model.layers.1.self_attn.k_proj.weight")
            XCTAssertEqual(expected, [6, 20])
            XCTAssertEqual(actual, [12, 20])
        }
    }

    func testTruncatedShard() throws {
        try RandomCheckpoint.write(to: dir)
        let url = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 100).write(to: url)
        XCTAssertThrowsError(try MiniMaxModel.load(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("model.safetensors"), "\(error)")
            guard case SafeTensorsError.offsetsOutOfBounds = error else { return XCTFail("\(error)") }
        }
    }

    func testDerivedBuffersAreIgnoredAndUnusedTensorsReported() throws {
        let c = try RandomCheckpoint.write(to: dir)
        try rewrite { tensors in
            tensors.append((name: "model.layers.0.self_attn.slope_rate", tensor: TensorView.owned([1, 2, 3], shape: [3, 1, 1])))
            tensors.append((name: "model.layers.0.extra.weight", tensor: TensorView.owned([1], shape: [1])))
        }
        XCTAssertNoThrow(try MiniMaxModel.load(directory: dir))
        let checkpoint = try Checkpoint(directory: dir)
        let expected = ExpectedTensors(configuration: c, available: Set(checkpoint.tensorNames))
        XCTAssertEqual(expected.unused, ["model.layers.0.extra.weight"])
        XCTAssertEqual(expected.ignoredDerivedBuffers, ["model.layers.0.self_attn.slope_rate"])
        XCTAssertEqual(expected.missing, [])
    }
}
