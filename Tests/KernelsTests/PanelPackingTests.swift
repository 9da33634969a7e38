import Tensors
import TestSupport
import XCTest

@testable import Kernels

/// The C panel packers (16 × 16 register transposes) lay out exactly what the scalar twin does.
final class PanelPackingTests: XCTestCase {
    func testPackersMatchTheWideningTwin() {
        for dtype in [DType.float32, .bfloat16] {
            for (n, k, firstRow, rowCount, firstColumn, depth) in [
                (32, 256, 0, 32, 0, 256), (40, 300, 32, 8, 256, 44), (33, 17, 1, 31, 0, 17), (5, 64, 0, 5, 16, 48),
                (64, 1000, 32, 32, 512, 256), (1, 1, 0, 1, 0, 1),
            ] {
                let w = TensorView.owned(TestSupport.randomValues(n * k, seed: UInt64(n * k)), shape: [n, k], dtype: dtype)
                var fast = [Float](repeating: .nan, count: depth * 32), twin = [Float](repeating: .nan, count: depth * 32)
                fast.withUnsafeMutableBufferPointer {
                    PackedMatMul.pack(w, firstRow: firstRow, rowCount: rowCount, firstColumn: firstColumn, depth: depth, into: $0.baseAddress!)
                }
                twin.withUnsafeMutableBufferPointer {
                    PackedMatMul.packWidening(w, firstRow: firstRow, rowCount: rowCount, firstColumn: firstColumn, depth: depth,
                                              into: $0.baseAddress!)
                }
                XCTAssertEqual(fast, twin, "\(dtype) n \(n) k \(k) rows \(firstRow)+\(rowCount) columns \(firstColumn)+\(depth)")
            }
        }
    }
}
