import TestSupport
import Training
import XCTest

/// The register-tiled transpose against its plain-loop twin on awkward sizes.
final class TransposeTests: XCTestCase {
    func testTransposeEqualsItsTwin() {
        for (rows, columns) in [(1, 1), (1, 37), (37, 1), (16, 16), (17, 33), (64, 300), (300, 64), (131, 7)] {
            let a = TestSupport.randomValues(rows * columns, seed: UInt64(rows * 1000 + columns))
            var fast = [Float](repeating: .nan, count: rows * columns), naive = fast
            fast.withUnsafeMutableBufferPointer { Transpose.apply(a, rows: rows, columns: columns, into: $0.baseAddress!) }
            naive.withUnsafeMutableBufferPointer { Transpose.applyPortable(a, rows: rows, columns: columns, into: $0.baseAddress!) }
            XCTAssertEqual(fast, naive, "\(rows)×\(columns)")
        }
    }
}
