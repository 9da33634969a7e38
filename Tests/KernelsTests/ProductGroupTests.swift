@testable import Kernels
import Tensors
import TestSupport
import XCTest

/// `ProductGroup` gives every member the bits of its own row-wise `MatMul` product.
final class ProductGroupTests: XCTestCase {
    func weight(n: Int, k: Int, dtype: DType, seed: UInt64) -> TensorView {
        let values = TestSupport.randomValues(n * k, seed: seed)
        return dtype.isQuantized
            ? TensorView.quantized(values, shape: [n, k], dtype: dtype, groupSize: 32)
            : TensorView.owned(values, shape: [n, k], dtype: dtype)
    }

    func testMembersEqualTheirOwnProducts() {
        let group = ProductGroup()
        for dtype in [DType.float32, .bfloat16, .int8, .int4] {
            for precision in MatMulPrecision.allCases {
                // (rows, k, n): one, two and three rows; members of different depths and widths.
                let shapes = [(1, 96, 40), (2, 96, 7), (3, 160, 33), (1, 64, 300)]
                let members = shapes.enumerated().map { i, shape in
                    (x: TestSupport.randomValues(shape.0 * shape.1, seed: UInt64(10 + i)),
                     w: weight(n: shape.2, k: shape.1, dtype: dtype, seed: UInt64(20 + i)), rows: shape.0)
                }
                for parallel in [true, false] {
                    var outs = members.map { [Float](repeating: .nan, count: $0.rows * $0.w.shape[0]) }
                    // Pointers held across `run`: buffers that outlive it.
                    let xs = members.map { m -> UnsafeMutablePointer<Float> in
                        let p = UnsafeMutablePointer<Float>.allocate(capacity: m.x.count)
                        p.initialize(from: m.x, count: m.x.count)
                        return p
                    }
                    let os = outs.map { o -> UnsafeMutablePointer<Float> in
                        let p = UnsafeMutablePointer<Float>.allocate(capacity: o.count)
                        p.initialize(repeating: .nan, count: o.count)
                        return p
                    }
                    for (i, m) in members.enumerated() { group.add(xs[i], rows: m.rows, weight: m.w, into: os[i], precision: precision) }
                    XCTAssertEqual(group.count, members.count)
                    group.run(parallel: parallel)
                    XCTAssertEqual(group.count, 0, "run forgets the members")
                    for (i, m) in members.enumerated() {
                        outs[i] = Array(UnsafeBufferPointer(start: os[i], count: outs[i].count))
                        let alone = TestSupport.product(m.x, outputs: outs[i].count) {
                            MatMul.multiply($0, rows: m.rows, singleRows: m.rows, weight: m.w, into: $1, precision: precision)
                        }
                        XCTAssertEqual(outs[i].map(\.bitPattern), alone.map(\.bitPattern), "\(dtype) \(precision) member \(i) parallel \(parallel)")
                        xs[i].deallocate()
                        os[i].deallocate()
                    }
                }
            }
        }
    }

    /// Under int8 activations, members with the same input pointer, rows, depth and code layout
    /// share one quantization of it; any difference (rows, depth, layout, pointer) quantizes anew,
    /// and every member still gets its own product's bits.
    func testMembersOfOneInputShareItsQuantizationOnlyWhenAllMatch() {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 4 * 192)
        defer { buffer.deallocate() }
        buffer.initialize(from: TestSupport.randomValues(4 * 192, seed: 8), count: 4 * 192)
        let x = UnsafePointer(buffer)
        // (input, rows, k, dtype): the 1st, 2nd and 7th share; the others each quantize.
        let members: [(UnsafePointer<Float>, Int, Int, DType)] = [
            (x, 2, 96, .int8), (x, 2, 96, .int8), (x, 2, 96, .int4), (x, 1, 96, .int8), (x, 2, 192, .int8),
            (x + 96, 2, 96, .int8), (x, 2, 96, .int8),
        ]
        let weights = members.enumerated().map { weight(n: 24 + $0, k: $1.2, dtype: $1.3, seed: UInt64(70 + $0)) }
        let outs = members.indices.map { i -> UnsafeMutableBufferPointer<Float> in
            let o = UnsafeMutableBufferPointer<Float>.allocate(capacity: members[i].1 * weights[i].shape[0])
            o.initialize(repeating: .nan)
            return o
        }
        defer { outs.forEach { $0.deallocate() } }
        let group = ProductGroup()
        for (i, m) in members.enumerated() { group.add(m.0, rows: m.1, weight: weights[i], into: outs[i].baseAddress!, precision: .int8) }
        XCTAssertEqual(group.quantizations, 5)
        group.run()
        XCTAssertEqual(group.quantizations, 0)
        for (i, m) in members.enumerated() {
            let alone = TestSupport.product(Array(UnsafeBufferPointer(start: m.0, count: m.1 * m.2)), outputs: outs[i].count) {
                MatMul.multiply($0, rows: m.1, singleRows: m.1, weight: weights[i], into: $1, precision: .int8)
            }
            XCTAssertEqual(Array(outs[i]).map(\.bitPattern), alone.map(\.bitPattern), "member \(i)")
        }
    }

    /// `MatMul.multiplySharingInput` equals one `multiply` per weight, single and tiled rows alike.
    func testSharedInputProductsEqualSeparateOnes() {
        let (rows, k) = (7, 96)
        let x = TestSupport.randomValues(rows * k, seed: 4)
        for dtype in [DType.float32, .bfloat16, .float16, .int8, .int4] {
            for precision in MatMulPrecision.allCases {
                let weights = [40, 9, 33].enumerated().map { weight(n: $1, k: k, dtype: dtype, seed: UInt64(50 + $0)) }
                for single in [0, 1, 3, 7] {
                    let outs = weights.map { w -> UnsafeMutableBufferPointer<Float> in
                        let o = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * w.shape[0])
                        o.initialize(repeating: .nan)
                        return o
                    }
                    defer { outs.forEach { $0.deallocate() } }
                    x.withUnsafeBufferPointer { xp in
                        MatMul.multiplySharingInput(xp.baseAddress!, rows: rows, singleRows: single, precision: precision) { product in
                            for (w, o) in zip(weights, outs) { product(w, o.baseAddress!) }
                        }
                    }
                    let together = outs.map { Array($0) }
                    for (i, w) in weights.enumerated() {
                        let alone = TestSupport.product(x, outputs: rows * w.shape[0]) {
                            MatMul.multiply($0, rows: rows, singleRows: single, weight: w, into: $1, precision: precision)
                        }
                        XCTAssertEqual(together[i].map(\.bitPattern), alone.map(\.bitPattern), "\(dtype) \(precision) single \(single) weight \(i)")
                    }
                }
            }
        }
    }
}
