import Kernels
import Tensors
import TestSupport
import XCTest

/// `BFloat16DotMatMul` (bf16 activations × bf16 weights on `vdpbf16ps`) against its plain-loop
/// twin, on shapes that exercise every edge of the tiling: partial row tiles (8), partial column
/// panels (32), odd K (a half-empty last pair) and K past one depth block (512 pairs = 1024).
final class BFloat16DotMatMulTests: XCTestCase {
    /// (T, K, N) covering rows 1, 2, 5, 6, 7, 13, 64; K 1, 3, 257, 1023, 2049; N 1, 31, 33, 95.
    let shapes = [
        (1, 1, 1), (2, 3, 31), (5, 257, 33), (6, 1023, 95), (7, 2049, 1), (13, 257, 95), (64, 1023, 33),
        (1, 2049, 31), (2, 1, 95), (5, 3, 1), (6, 2049, 33), (7, 257, 31), (13, 1023, 1), (64, 3, 95),
        (9, 1024, 32), (16, 2, 64), (3, 1025, 40),
        (264, 1024, 33),  // enough row tiles that packing the activations is split across threads
    ]

    func inputs(_ t: Int, _ k: Int, _ n: Int) -> (x: [Float], w: TensorView) {
        let x = TestSupport.randomValues(t * k, seed: UInt64(t * 1000 + k))
        let w = TensorView.owned(TestSupport.randomValues(n * k, seed: UInt64(n + 7)), shape: [n, k], dtype: .bfloat16)
        return (x, w)
    }

    func product(_ x: [Float], rows: Int, _ w: TensorView, parallel: Bool = true) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * w.shape[0])
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { BFloat16DotMatMul.multiply(xp.baseAddress!, rows: rows, weight: w, into: $0.baseAddress!, parallel: parallel) }
        }
        return out
    }

    func portable(_ x: [Float], rows: Int, _ w: TensorView) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * w.shape[0])
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { BFloat16DotMatMul.multiplyPortable(xp.baseAddress!, rows: rows, weight: w, into: $0.baseAddress!) }
        }
        return out
    }

    func reference(_ x: [Float], rows: Int, _ w: TensorView) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * w.shape[0])
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { BFloat16DotMatMul.multiplyReference(xp.baseAddress!, rows: rows, weight: w, into: $0.baseAddress!) }
        }
        return out
    }

    /// ‖a − ref‖ / ‖ref‖ of every output row is within `tolerance`. With a single column a row is
    /// one dot product, whose fp32 rounding error scales with Σ|x·w| rather than with |Σ x·w| (a
    /// sum that cancels loses relative precision in any order), so there `scale` — the product of
    /// |x| and |W| — takes the place of ‖ref‖.
    func assertRowsClose(_ a: [Float], _ ref: [Float], scale: [Float], n: Int, tolerance: Double, _ label: String) {
        for r in 0..<(ref.count / n) {
            let row = (r * n)..<((r + 1) * n)
            let error = n == 1
                ? Double(abs(a[r] - ref[r])) / Double(scale[r])
                : TestSupport.relativeError(Array(a[row]), Array(ref[row]))
            XCTAssertLessThanOrEqual(error, tolerance, "\(label) row \(r)")
        }
    }

    /// Σ_k |bf16(x[t, k]) · W[n, k]|: the magnitude that bounds the accumulation error.
    func absoluteScale(_ x: [Float], rows: Int, _ w: TensorView) -> [Float] {
        let absW = TensorView.owned(w.toFloatArray().map(abs), shape: w.shape, dtype: .bfloat16)
        return reference(x.map(abs), rows: rows, absW)
    }

    func testKernelMatchesReferenceOnAwkwardShapes() throws {
        try XCTSkipUnless(BFloat16DotMatMul.isAvailable, "the vdpbf16ps path is off: no AVX512_BF16 on this CPU, or MINIMAX_KERNEL=\(KernelPath.selected)")
        for (t, k, n) in shapes {
            let (x, w) = inputs(t, k, n)
            let ref = reference(x, rows: t, w), scale = absoluteScale(x, rows: t, w)
            for parallel in [true, false] {
                assertRowsClose(product(x, rows: t, w, parallel: parallel), ref, scale: scale, n: n, tolerance: 1e-6,
                                "T=\(t) K=\(k) N=\(n) parallel \(parallel)")
            }
        }
    }

    func testPortablePathMatchesReference() {
        for (t, k, n) in shapes {
            let (x, w) = inputs(t, k, n)
            assertRowsClose(portable(x, rows: t, w), reference(x, rows: t, w), scale: absoluteScale(x, rows: t, w), n: n,
                            tolerance: 1e-6, "T=\(t) K=\(k) N=\(n)")
        }
    }

    func testResultsDoNotDependOnThreadsOrTileComposition() throws {
        try XCTSkipUnless(BFloat16DotMatMul.isAvailable, "the vdpbf16ps path is off: no AVX512_BF16 on this CPU, or MINIMAX_KERNEL=\(KernelPath.selected)")
        let (t, k, n) = (21, 1100, 97)
        let (x, w) = inputs(t, k, n)
        let all = product(x, rows: t, w)
        XCTAssertEqual(product(x, rows: t, w, parallel: false), all)
        // Row r alone, and rows r... in a tile of their own, give the same bits as in the full batch.
        for r in [0, 7, 8, 20] {
            let rest = Array(x[(r * k)...])
            XCTAssertEqual(product(rest, rows: t - r, w), Array(all[(r * n)...]), "from row \(r)")
            XCTAssertEqual(product(Array(x[(r * k)..<((r + 1) * k)]), rows: 1, w), Array(all[(r * n)..<((r + 1) * n)]), "row \(r)")
        }
    }

    func testRoundToBFloat16TiesToEven() {
        let r = BFloat16DotMatMul.roundToBFloat16
        let ulp: Float = 1.0 / 128  // bf16 spacing in [1, 2)
        XCTAssertEqual(r(1 + ulp / 2), 1)  // tie, 1 is even
        XCTAssertEqual(r(1 + 3 * ulp / 2), 1 + 2 * ulp)  // tie, 1 + 2 ulp is even
        XCTAssertEqual(r(-(1 + ulp / 2)), -1)
        XCTAssertEqual(r(1 + ulp / 2 + ulp / 1024), 1 + ulp)  // just above the tie
        XCTAssertEqual(r(1 + ulp / 2 - ulp / 1024), 1)
        XCTAssertEqual(r(.infinity), .infinity)
        XCTAssertEqual(r(.greatestFiniteMagnitude), .infinity)
        XCTAssertTrue(r(.nan).isNaN)
        XCTAssertEqual(r(3), 3)
    }

    /// Activations exactly halfway between bf16 neighbours, against weights of 1: the kernel must
    /// round them as the reference does (ties to even).
    func testKernelRoundsActivationTiesToEven() {
        let ulp: Float = 1.0 / 128
        let x: [Float] = [1 + ulp / 2, 1 + 3 * ulp / 2, -(1 + 5 * ulp / 2), 2 + ulp, 1 + ulp / 2 + ulp / 1024]
        let expected: [Float] = [1, 1 + 2 * ulp, -(1 + 2 * ulp), 2, 1 + ulp]
        let k = x.count
        // One output column per activation: W[j] is the unit vector e_j, so out[0, j] = bf16(x[j]).
        var identity = [Float](repeating: 0, count: k * k)
        for j in 0..<k { identity[j * k + j] = 1 }
        let w = TensorView.owned(identity, shape: [k, k], dtype: .bfloat16)
        XCTAssertEqual(portable(x, rows: 1, w), expected)
        XCTAssertEqual(reference(x, rows: 1, w), expected)
        if BFloat16DotMatMul.isAvailable {
            XCTAssertEqual(product(x, rows: 1, w), expected)
            // The same in a 9-row batch (two row tiles).
            let batch = Array([[Float]](repeating: x, count: 9).joined())
            XCTAssertEqual(product(batch, rows: 9, w), Array([[Float]](repeating: expected, count: 9).joined()))
        }
    }

    /// Rounding the activations to bf16 costs about 2⁻⁹ relative per element, so the product stays
    /// within ~1e-2 of the exact one (fp32 activations).
    func testCloseToTheFP32Product() {
        for (t, k, n) in [(13, 1023, 95), (64, 257, 33), (6, 2049, 31)] {
            let (x, w) = inputs(t, k, n)
            let exact = NaiveKernels.matmul(x, rows: t, weight: w)
            let fast = BFloat16DotMatMul.isAvailable ? product(x, rows: t, w) : portable(x, rows: t, w)
            let error = TestSupport.relativeError(fast, exact)
            XCTAssertLessThan(error, 1e-2, "T=\(t) K=\(k) N=\(n)")
            XCTAssertGreaterThan(error, 0, "activations were not rounded")
        }
    }
}
