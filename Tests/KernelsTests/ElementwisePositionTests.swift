import Kernels
import TestSupport
import XCTest

/// An elementwise activation must give a value the same bits wherever it sits in the buffer: the
/// buffer holds the rows of every sequence in a batch, so a position-dependent result (a vector
/// body and a scalar tail computing differently) breaks batch invariance. It did: a lightning
/// layer's gate and SiLU ran a 2-row prompt through the scalar tail alone and the vector body
/// beside another sequence.
final class ElementwisePositionTests: XCTestCase {
    func testActivationsDoNotDependOnPosition() {
        let values = TestSupport.randomValues(37, seed: 11, scale: 6)
        for apply in [VectorMath.siluInPlace, VectorMath.sigmoidInPlace] {
            var whole = values
            whole.withUnsafeMutableBufferPointer { apply($0.baseAddress!, $0.count) }
            for (offset, count) in [(0, 1), (3, 5), (16, 1), (20, 17), (0, 37), (36, 1)] {
                var part = Array(values[offset..<(offset + count)])
                part.withUnsafeMutableBufferPointer { apply($0.baseAddress!, $0.count) }
                XCTAssertEqual(part, Array(whole[offset..<(offset + count)]), "values \(offset)..<\(offset + count)")
            }
        }
    }

    /// The fused activations are bit for bit their unfused twins (activation, then the product),
    /// on sizes around the vector width.
    func testFusedActivationsMatchTheirTwins() {
        for count in [1, 7, 16, 17, 31, 33, 97] {
            let x = TestSupport.randomValues(count, seed: UInt64(count), scale: 6)
            let other = TestSupport.randomValues(count, seed: UInt64(count + 50), scale: 6)
            var fused = x, twin = x
            fused.withUnsafeMutableBufferPointer { VectorMath.siluMultiplyInPlace($0.baseAddress!, by: other, count: count) }
            twin.withUnsafeMutableBufferPointer { VectorMath.siluInPlace($0.baseAddress!, count: count) }
            for i in 0..<count { twin[i] *= other[i] }
            XCTAssertEqual(fused, twin, "silu · up, \(count) values")

            var gate = other
            fused = x
            fused.withUnsafeMutableBufferPointer { VectorMath.multiplyBySigmoidInPlace($0.baseAddress!, gate: gate, count: count) }
            gate.withUnsafeMutableBufferPointer { VectorMath.sigmoidInPlace($0.baseAddress!, count: count) }
            twin = x
            for i in 0..<count { twin[i] *= gate[i] }
            XCTAssertEqual(fused, twin, "x · sigmoid(gate), \(count) values")
        }
    }

    /// RMSNorm splits its rows across threads; every row keeps the bits it has on one thread.
    func testRMSNormRowsDoNotDependOnTheSplit() {
        let width = 97, rows = 700
        let x = TestSupport.randomValues(rows * width, seed: 5), weight = TestSupport.randomValues(width, seed: 6)
        var split = [Float](repeating: 0, count: rows * width), serial = split
        split.withUnsafeMutableBufferPointer {
            RMSNorm.apply(x, rows: rows, width: width, weight: weight, eps: 1e-5, into: $0.baseAddress!)
        }
        serial.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows {
                RMSNorm.applyRows(x, rows: r..<(r + 1), width: width, weight: weight, eps: 1e-5, into: out.baseAddress!)
            }
        }
        XCTAssertEqual(split, serial)
    }
}
