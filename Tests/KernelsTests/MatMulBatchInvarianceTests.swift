import Kernels
import Tensors
import TestSupport
import XCTest

/// A row's product must be the same bits whatever else is in the call: the batched engine's
/// results (and reinforcement learning's sampler = trainer probabilities) rest on this.
final class MatMulBatchInvarianceTests: XCTestCase {
    /// Short rows (k ≤ 128, multiple of 16: blocks of sixteen weight rows), long rows, odd tails.
    let shapes = [(k: 64, n: 37), (k: 128, n: 50), (k: 16, n: 19), (k: 300, n: 45), (k: 1024, n: 33), (k: 97, n: 21)]

    func product(_ x: [Float], rows: Int, singleRows: Int, _ w: TensorView, precision: MatMulPrecision = .exact) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * w.shape[0])
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                MatMul.multiply(xp.baseAddress!, rows: rows, singleRows: singleRows, weight: w, into: op.baseAddress!,
                                precision: precision)
            }
        }
        return out
    }

    func rowsOf(_ x: [Float], _ picked: [Int], k: Int) -> [Float] { picked.flatMap { Array(x[($0 * k)..<(($0 + 1) * k)]) } }

    func testRowWiseRowsEqualTheirOneRowProduct() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for dtype in DType.allCases + DType.quantizedCases {
            for precision in MatMulPrecision.allCases {
                for (k, n) in shapes {
                    let t = 11
                    let x = TestSupport.randomValues(t * k, seed: UInt64(k + t))
                    let w = TensorView.owned(TestSupport.randomValues(n * k, seed: UInt64(n)), shape: [n, k], dtype: dtype)
                    Parallel.threadCount = 1
                    let alone = (0..<t).map { product(rowsOf(x, [$0], k: k), rows: 1, singleRows: 1, w, precision: precision) }
                    for threads in [1, 2, 3] {
                        Parallel.threadCount = threads
                        let batched = product(x, rows: t, singleRows: t, w, precision: precision)
                        for r in 0..<t {
                            XCTAssertEqual(Array(batched[(r * n)..<((r + 1) * n)]), alone[r],
                                           "\(dtype) \(precision) k \(k) n \(n) row \(r) of \(t), \(threads) threads")
                        }
                        // A shuffled sub-batch, mixed with tiled rows after it.
                        let picked = [7, 2, 9, 0, 5]
                        let mixed = product(rowsOf(x, picked + [1, 3, 4, 6], k: k), rows: 9, singleRows: 5, w, precision: precision)
                        for (i, r) in picked.enumerated() {
                            XCTAssertEqual(Array(mixed[(i * n)..<((i + 1) * n)]), alone[r], "\(dtype) \(precision) k \(k) mixed row \(r)")
                        }
                    }
                }
            }
        }
    }

    func testTiledRowsDoNotDependOnTheirCompany() {
        for dtype in DType.allCases + DType.quantizedCases {
            for precision in MatMulPrecision.allCases {
                for (k, n) in shapes {
                    let t = 13
                    let x = TestSupport.randomValues(t * k, seed: UInt64(3 * k))
                    let w = TensorView.owned(TestSupport.randomValues(n * k, seed: UInt64(n + 7)), shape: [n, k], dtype: dtype)
                    let all = product(x, rows: t, singleRows: 0, w, precision: precision)
                    for (offset, picked) in [[4], [12, 4], [0, 4, 8, 11, 1, 2, 3], [6, 5, 4, 3, 2, 1, 0, 7, 8, 9, 10, 11, 12]].enumerated() {
                        let some = product(rowsOf(x, picked, k: k), rows: picked.count, singleRows: 0, w, precision: precision)
                        for (i, r) in picked.enumerated() {
                            XCTAssertEqual(Array(some[(i * n)..<((i + 1) * n)]), Array(all[(r * n)..<((r + 1) * n)]),
                                           "\(dtype) \(precision) k \(k) tiled row \(r) in batch \(offset)")
                        }
                    }
                }
            }
        }
    }

    /// A product with fewer column blocks than threads (a router's few outputs) splits its rows
    /// across threads instead; every row keeps the bits it has alone.
    func testRowSplitTiledRowsEqualTheirOneRowProduct() {
        let (t, k, n) = (61, 300, 8)
        let x = TestSupport.randomValues(t * k, seed: 21)
        let w = TensorView.owned(TestSupport.randomValues(n * k, seed: 22), shape: [n, k], dtype: .bfloat16)
        let all = product(x, rows: t, singleRows: 0, w)
        for r in 0..<t {
            XCTAssertEqual(product(rowsOf(x, [r], k: k), rows: 1, singleRows: 0, w), Array(all[(r * n)..<((r + 1) * n)]),
                           "row \(r)")
        }
    }

    func testRowWiseMatchesNaive() {
        for dtype in DType.allCases + DType.quantizedCases {
            for (k, n) in shapes {
                let t = 6
                let x = TestSupport.randomValues(t * k, seed: UInt64(k))
                let w = TensorView.owned(TestSupport.randomValues(n * k, seed: UInt64(n + 1)), shape: [n, k], dtype: dtype)
                let fast = product(x, rows: t, singleRows: t, w)
                XCTAssertLessThan(TestSupport.relativeError(fast, NaiveKernels.matmul(x, rows: t, weight: w)), 1e-6, "\(dtype) k \(k)")
            }
        }
    }
}
