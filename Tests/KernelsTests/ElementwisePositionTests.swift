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
}
