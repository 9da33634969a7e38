import Foundation
import MiniMax
import Tensors
import TestSupport
import XCTest

/// A prompt fed in one pass, in chunks, or token by token through the cache gives the same logits.
final class ModelCacheTests: XCTestCase {
    func logits(_ model: MiniMaxModel, _ ids: [Int], chunk: Int) throws -> [Float] {
        var cache = model.makeCache()
        var out: [Float] = []
        var start = 0
        while start < ids.count {
            let end = min(start + chunk, ids.count)
            out += try model.forward(Array(ids[start..<end]), cache: &cache).data
            start = end
        }
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
        _ = try model.forward([1, 2, 3], cache: &cache)
        let after3 = cache.byteCount
        _ = try model.forward([4], cache: &cache)
        let kvBytesPerToken = 2 * c.keyValueHeadCount * c.headDim * 4 * c.layerKinds.filter { $0 == .softmax }.count
        XCTAssertEqual(cache.byteCount - after3, kvBytesPerToken)
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
