import Kernels
import Tensors
import TestSupport
import XCTest

/// `multiplyAccumulating` adds x·Wᵀ to what `out` holds (the training backward's dW += dYᵀ·X).
final class AccumulatingMatMulTests: XCTestCase {
    func testAccumulatesOntoTheOutput() {
        for (rows, n, k) in [(1, 1, 1), (7, 33, 300), (13, 5, 17), (64, 40, 520)] {
            let x = TestSupport.randomValues(rows * k, seed: 1), w = TestSupport.randomValues(n * k, seed: 2)
            let start = TestSupport.randomValues(rows * n, seed: 3)
            let weight = TensorView.owned(w, shape: [n, k])
            var product = [Float](repeating: 0, count: rows * n), accumulated = start
            product.withUnsafeMutableBufferPointer { MatMul.multiply(x, rows: rows, singleRows: 0, weight: weight, into: $0.baseAddress!) }
            accumulated.withUnsafeMutableBufferPointer { MatMul.multiplyAccumulating(x, rows: rows, weight: weight, into: $0.baseAddress!) }
            let expected = zip(start, product).map { $0 + $1 }
            XCTAssertLessThan(TestSupport.relativeError(accumulated, expected), 1e-6, "\(rows)×\(k) · \(n)")
        }
    }
}
