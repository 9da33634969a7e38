import Kernels
import Tensors
import TestSupport
import XCTest

/// `AMXQuantizedProduct` (int8 activations × int8 / q4 weights on `tdpbssd` tiles) against the Swift
/// reference and the portable int8-activation twin: the software model of the tiles on every CPU,
/// the AMX instructions where the CPU has them.
extension QuantizedActivationTests {
    /// (T, K, N, group): rows 1, 17, 33; K partial blocks, whole blocks, one chunk per 32 rows
    /// (K = 16384); groups per row (int8), 32, 96, 128.
    var amxCases: [(Int, Int, Int, Int?)] {
        [(1, 15, 5, nil), (9, 160, 96, 32), (9, 96, 160, 32), (1, 160, 96, 32), (2, 96, 160, 32), (3, 160, 96, 32), (17, 32, 33, 32), (33, 97, 40, 32), (5, 300, 70, 96), (2, 1100, 31, 128), (3, 16384, 40, 128), (4, 1536, 64, nil)]
    }

    func amxProduct(_ x: [Float], rows: Int, _ w: TensorView, tiles: AMXTiles, parallel: Bool = true) -> [Float] {
        TestSupport.product(x, outputs: rows * w.shape[0]) {
            AMXQuantizedProduct.multiply($0, rows: rows, weight: w, into: $1, parallel: parallel, tiles: tiles)
        }
    }

    /// Each output row within fp32 rounding of the reference and of the portable twin (the same
    /// exact integer dots and the same scaled terms, summed in another order).
    func assertAMXMatches(tiles: AMXTiles) {
        for dtype in DType.quantizedCases {
            for (t, k, n, group) in amxCases where dtype == .int8 || group != nil {
                let w = weight(n: n, k: k, dtype: dtype, group: group), x = TestSupport.randomValues(t * k, seed: UInt64(t * 13 + k))
                let out = amxProduct(x, rows: t, w, tiles: tiles)
                let reference = NaiveKernels.matmulQuantizedActivations(x, rows: t, weight: w)
                let twin = product(activations(x, rows: t, k: k, for: dtype), w, path: .portable)
                for r in 0..<t {
                    let row = (r * n)..<((r + 1) * n), label = "\(tiles) \(dtype) T \(t) k \(k) n \(n) group \(group.map(String.init) ?? "row") row \(r)"
                    let tolerance = k > 4096 ? 4e-6 : 1e-6
                    XCTAssertLessThanOrEqual(TestSupport.relativeError(Array(out[row]), Array(reference[row])), tolerance, label)
                    XCTAssertLessThanOrEqual(TestSupport.relativeError(Array(out[row]), Array(twin[row])), tolerance, label)
                }
            }
        }
    }

    func testAMXTileModelMatchesReferenceAndTwin() { assertAMXMatches(tiles: .model) }

    func testAMXTilesMatchReferenceAndTwin() throws {
        try XCTSkipUnless(AMXQuantizedProduct.isAvailable, "no AMX int8 tiles here (cpu features: \(CPUFeatures.detected); kernel path \(KernelPath.selected)): only the tile model ran")
        assertAMXMatches(tiles: .hardware)
    }

    /// A row's outputs are the same bits alone and in any batch, on one thread or several.
    func testAMXResultsDoNotDependOnBatchOrThreads() {
        for dtype in DType.quantizedCases {
            let (t, k, n) = (35, 200, 40), w = weight(n: n, k: k, dtype: dtype, group: 32)
            let x = TestSupport.randomValues(t * k, seed: 8)
            let all = amxProduct(x, rows: t, w, tiles: .model)
            XCTAssertEqual(amxProduct(x, rows: t, w, tiles: .model, parallel: false).map(\.bitPattern), all.map(\.bitPattern), "\(dtype)")
            for r in [0, 16, 31, 34] {
                XCTAssertEqual(amxProduct(Array(x[(r * k)..<((r + 1) * k)]), rows: 1, w, tiles: .model).map(\.bitPattern),
                               all[(r * n)..<((r + 1) * n)].map(\.bitPattern), "\(dtype) row \(r)")
            }
        }
    }
}
