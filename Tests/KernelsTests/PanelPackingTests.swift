import CKernels
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

    /// The prefetch walk behind the tiled products visits every cache line of the next panel's rows
    /// (unaligned starts and odd lengths included), never a line outside them, and is done within
    /// the work it is spread over.
    func testPrefetchWalkCoversTheRowsAndEndsInTime() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 64)
        defer { buffer.deallocate() }
        for (offset, stride, rows, bytes, work) in [(0, 2048, 32, 1024, 8192), (6, 600, 5, 130, 40), (60, 512, 3, 8, 1000),
                                                    (2, 4096, 7, 4000, 100_000), (0, 128, 1, 64, 1)] {
            var next = minimax_prefetch_rows(base: buffer + offset, stride: stride, rows: rows, bytes: bytes)
            var cursor = minimax_prefetch_start(&next, work)
            var expected = Set<Int>()
            for r in 0..<rows {
                let start = offset + r * stride
                for line in (start / 64)...((start + bytes - 1) / 64) { expected.insert(line) }
            }
            var visited = Set<Int>(), steps = 0
            while cursor.rows_left > 0 && steps < 10 * work + 10_000 {
                if cursor.countdown == 1 { visited.insert((UnsafeRawPointer(cursor.line)! - UnsafeRawPointer(buffer)) / 64) }
                minimax_prefetch_advance(&cursor)
                steps += 1
            }
            XCTAssertEqual(visited, expected, "offset \(offset) stride \(stride) rows \(rows) bytes \(bytes)")
            if expected.count * 4 <= work { XCTAssertLessThanOrEqual(steps, work, "done within the work") }
        }
    }
}
