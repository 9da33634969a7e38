import Foundation
import MiniMax
import SafeTensors
import TestSupport
import XCTest

final class ParameterTreeTests: XCTestCase {
    /// The tree's counts equal the elements of the tensors a written checkpoint actually holds.
    func testCountsEqualTheElementsOfAWrittenCheckpoint() throws {
        let directory = try TestSupport.temporaryDirectory()
        let c = try RandomCheckpoint.write(to: directory)
        let checkpoint = try Checkpoint(directory: directory)
        var elements = 0
        for name in checkpoint.weightMap.keys { elements += try checkpoint.tensor(name).elementCount }
        let tree = ParameterTree(c)
        XCTAssertEqual(tree.elementCount, elements)
        XCTAssertEqual(ParameterCount(c).total, elements)
        XCTAssertEqual(Set(tree.parameters.map { $0.name }), Set(checkpoint.weightMap.keys))
        for (i, p) in tree.parameters.enumerated() {
            XCTAssertEqual(try checkpoint.tensor(p.name).shape, p.shape, p.name)
            XCTAssertEqual(tree.index(of: p.name), i)
            XCTAssertEqual(tree.offsets[i] + p.elementCount, i + 1 < tree.offsets.count ? tree.offsets[i + 1] : tree.elementCount)
        }
    }

    /// Active parameters by brute force: the shared weights of each layer plus its `k` largest experts.
    func testActiveCountIsSharedWeightsPlusTopKExperts() throws {
        let directory = try TestSupport.temporaryDirectory()
        let c = try RandomCheckpoint.write(to: directory)
        let tree = ParameterTree(c)
        var expected = 0
        for p in tree.parameters where p.role != ParameterRole.embedding && p.role != ParameterRole.lmHead {
            expected += p.role == ParameterRole.expert ? p.elementCount * c.expertsPerToken / c.expertCount : p.elementCount
        }
        let counts = ParameterCount(tree)
        XCTAssertEqual(counts.activePerToken, expected)
        XCTAssertEqual(counts.embedding, 2 * c.vocabularySize * c.hiddenSize)
        XCTAssertEqual(counts.byRole.values.reduce(0, +), counts.total)
        let lightningLayers = c.layerKinds.filter { $0 == .lightning }.count
        let norms: Int = c.layerCount * 2 * c.hiddenSize + c.hiddenSize + lightningLayers * c.headCount * c.headDim
        XCTAssertEqual(counts.byRole[ParameterRole.norm], norms)
    }

    func testRealM1CountsByRole() throws {
        guard let shared = TestSupport.sharedDirectory else { throw XCTSkip("../shared is absent") }
        let c = try Configuration.load(directory: shared.appendingPathComponent("minimax-m1"))
        let counts = ParameterCount(c)
        // 80 layers × 32 experts × 3 × 6144 × 9216
        XCTAssertEqual(counts.byRole[ParameterRole.expert], 80 * 32 * 3 * 6144 * 9216)
        XCTAssertEqual(counts.byRole[ParameterRole.router], 80 * 32 * 6144)
        XCTAssertEqual(counts.embedding, 2 * 200064 * 6144)
        XCTAssertEqual(ParameterTree(c).parameters.count, 1 + 80 * (2 + 4 + 1 + 32 * 3) + 1 + 1)
    }

    /// A fused transformers save is expected under its own names, with the same element count.
    func testFusedExpertLayoutKeepsTheCount() throws {
        let directory = try TestSupport.temporaryDirectory()
        let c = try RandomCheckpoint.write(to: directory)
        var available = Set(ParameterTree(c).parameters.map { $0.name }).filter { !$0.contains(".experts.") }
        available = Set(available.map { $0.replacingOccurrences(of: "block_sparse_moe", with: "mlp") })
        for l in 0..<c.layerCount {
            available.insert(TensorNames.fusedGateUp(l, module: "mlp"))
            available.insert(TensorNames.fusedDown(l, module: "mlp"))
        }
        let expected = ExpectedTensors(configuration: c, available: available)
        XCTAssertEqual(expected.missing, [String]())
        XCTAssertEqual(expected.all.map { $0.shape.reduce(1, *) }.reduce(0, +), ParameterCount(c).total)
        XCTAssertEqual(expected.unused, [String]())
    }
}
