import Foundation
import MiniMax
import Tensors
import TestSupport
import XCTest

/// A prompt fed in one pass, in chunks, or token by token through the cache gives the same logits.
final class ModelCacheTests: XCTestCase {
    func logits(_ model: MiniMaxModel, _ ids: [Int], chunk: Int) throws -> [Float] {
        var cache = model.makeCache()
        let out = try model.prefill(ids, cache: &cache, chunk: chunk, lastTokenOnly: false).data
        XCTAssertEqual(cache.position, ids.count)
        return out
    }

    func testChunkedAndTokenByTokenMatchOnePass() throws {
        for dtype in [DType.float32, .bfloat16] {
            let dir = try TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            try RandomCheckpoint.write(to: dir, dtype: dtype)
            let model = try MiniMaxModel.load(directory: dir)
            let ids = (0..<23).map { ($0 * 7 + 3) % 61 }
            let onePass = try logits(model, ids, chunk: ids.count)
            for chunk in [1, 4, 7] {
                let chunked = try logits(model, ids, chunk: chunk)
                XCTAssertLessThan(TestSupport.relativeError(chunked, onePass), 1e-5, "\(dtype) chunk \(chunk)")
            }
        }
    }

    func testCacheHoldsFixedLightningStateAndGrowingKeyValues() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try RandomCheckpoint.write(to: dir)
        let model = try MiniMaxModel.load(directory: dir)
        var cache = model.makeCache()
        let lightningBytes = c.layerKinds.filter { $0 == .lightning }.count * c.headCount * c.headDim * c.headDim * 4
        let pageBytes = 2 * c.keyValueHeadCount * 256 * c.headDim * 4
        let softmaxLayers = c.layerKinds.filter { $0 == .softmax }.count
        _ = try model.forward([1, 2, 3], cache: &cache)
        XCTAssertEqual(cache.byteCount, lightningBytes + softmaxLayers * pageBytes)
        _ = try model.forward([Int](repeating: 4, count: 253), cache: &cache)
        XCTAssertEqual(cache.byteCount, lightningBytes + softmaxLayers * pageBytes, "256 tokens fill one page")
        _ = try model.forward([5], cache: &cache)
        XCTAssertEqual(cache.byteCount, lightningBytes + 2 * softmaxLayers * pageBytes)
        guard case .keyValue(let kv) = cache.layers[1] else { return XCTFail("layer 1 should be softmax") }
        XCTAssertEqual(kv.count, 257)
        guard case .linear(let state) = cache.layers[0] else { return XCTFail("layer 0 should be lightning") }
        XCTAssertEqual(state.state.count, c.headCount * c.headDim * c.headDim)
    }

    func testTokenOutOfRangeIsAnError() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try RandomCheckpoint.write(to: dir)
        let model = try MiniMaxModel.load(directory: dir)
        var cache = model.makeCache()
        XCTAssertThrowsError(try model.forward([1, 61], cache: &cache)) { error in
            XCTAssertEqual(error as? ModelError, .tokenOutOfRange(id: 61, position: 1, vocabularySize: 61))
        }
        XCTAssertThrowsError(try model.forward([], cache: &cache))
    }
}

extension ModelCacheTests {
    /// A copied cache shares full pages but diverges on its own: forking a sequence is safe.
    func testCopiedCacheIsIndependent() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try RandomCheckpoint.write(to: dir)
        let model = try MiniMaxModel.load(directory: dir)
        var original = model.makeCache()
        _ = try model.forward([1, 2, 3, 4, 5], cache: &original)
        var fork = original
        let a = try model.forward([7], cache: &fork)
        let b = try model.forward([9], cache: &original)
        var fresh = model.makeCache()
        _ = try model.forward([1, 2, 3, 4, 5], cache: &fresh)
        let expected = try model.forward([9], cache: &fresh)
        XCTAssertEqual(b.data, expected.data, "the fork's token must not leak into the original")
        XCTAssertNotEqual(a.data, b.data)
    }
}
