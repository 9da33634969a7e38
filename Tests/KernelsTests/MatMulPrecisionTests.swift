import Tensors
import TestSupport
import XCTest

@testable import Kernels

/// `MatMul.multiply(precision: .bfloat16)` computes bf16(x) · W for bf16 weights on every path
/// (few rows: rounded x through the matrix-vector kernel; many rows: the vdpbf16ps kernel), and
/// leaves fp32 weights alone.
final class MatMulPrecisionTests: XCTestCase {
    func testBFloat16PrecisionMatchesTheRoundedReference() {
        for (rows, k, n) in [(1, 64, 33), (2, 100, 17), (3, 257, 40), (4, 64, 33), (9, 130, 70)] {
            let x = TestSupport.randomValues(rows * k, seed: UInt64(rows * 1000 + k))
            let wValues = TestSupport.randomValues(n * k, seed: UInt64(n))
            let w = TensorView.owned(wValues, shape: [n, k], dtype: .bfloat16)
            var fast = [Float](repeating: 0, count: rows * n), reference = fast, exact = fast
            MatMul.multiply(x, rows: rows, weight: w, into: &fast, precision: .bfloat16)
            MatMul.multiply(x, rows: rows, weight: w, into: &exact)
            let rounded = x.map { BFloat16DotMatMul.roundToBFloat16($0) }
            MatMul.multiply(rounded, rows: rows, weight: w, into: &reference)
            XCTAssertLessThan(TestSupport.relativeError(fast, reference), 1e-5, "rows \(rows) k \(k) n \(n)")
            XCTAssertNotEqual(fast, exact, "rows \(rows): precision had no effect")

            let w32 = TensorView.owned(wValues, shape: [n, k], dtype: .float32)
            var a = [Float](repeating: 0, count: rows * n), b = a
            MatMul.multiply(x, rows: rows, weight: w32, into: &a, precision: .bfloat16)
            MatMul.multiply(x, rows: rows, weight: w32, into: &b)
            XCTAssertEqual(a, b, "fp32 weights must ignore the precision")
        }
    }
}
