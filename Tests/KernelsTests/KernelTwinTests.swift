import Kernels
import Tensors
import TestSupport
import XCTest

/// Every fast kernel against its plain-loop twin on awkward sizes (1, primes, non-multiples of the
/// SIMD width).
final class KernelTwinTests: XCTestCase {
    let awkwardSizes = [1, 7, 16, 17, 31, 33, 64, 97]

    func testMatMulMatchesNaiveForEveryDType() {
        for dtype in DType.allCases {
            for (t, k, n) in [(1, 1, 1), (1, 17, 5), (3, 33, 7), (5, 97, 13), (2, 64, 31), (7, 31, 1), (4, 1, 1),
                              (13, 257, 33), (6, 300, 64), (31, 513, 97), (8, 16, 32), (1, 97, 13), (1, 300, 7), (1, 64, 9),
                              (1, 16, 16), (1, 64, 37), (1, 128, 48), (1, 144, 33), (1, 64, 256), (2, 64, 40)] {
                let x = TestSupport.randomValues(t * k, seed: UInt64(k))
                let w = TensorView.owned(TestSupport.randomValues(n * k, seed: UInt64(n + 100)), shape: [n, k], dtype: dtype)
                let fast = MatMul.multiply(Matrix(rows: t, cols: k, data: x), w).data
                let naive = NaiveKernels.matmul(x, rows: t, weight: w)
                XCTAssertLessThan(TestSupport.relativeError(fast, naive), 1e-6, "\(dtype) T=\(t) K=\(k) N=\(n)")
            }
        }
    }

    func testMatMulRowsDoNotDependOnBatchComposition() {
        // Chunked and one-pass inference rely on this: in the many-token path a row's result is
        // the same bits whatever rows share its tile; the one-token path differs only by rounding.
        let k = 300, n = 45, t = 9
        let x = TestSupport.randomValues(t * k, seed: 3)
        let w = TensorView.owned(TestSupport.randomValues(n * k, seed: 4), shape: [n, k], dtype: .bfloat16)
        let all = MatMul.multiply(Matrix(rows: t, cols: k, data: x), w)
        for r in 0..<t {
            let picked = (0..<MatMul.packedThreshold).map { (r + $0 * 2) % t }
            let batch = Matrix(rows: picked.count, cols: k, data: picked.flatMap { Array(x[($0 * k)..<(($0 + 1) * k)]) })
            XCTAssertEqual(Array(MatMul.multiply(batch, w).row(0)), Array(all.row(r)), "row \(r)")
            let one = MatMul.multiply(Matrix(rows: 1, cols: k, data: Array(x[(r * k)..<((r + 1) * k)])), w)
            XCTAssertLessThan(TestSupport.relativeError(one.data, Array(all.row(r))), 1e-6)
        }
    }

    func testRMSNormMatchesNaive() {
        for width in awkwardSizes {
            let x = TestSupport.randomValues(3 * width, seed: UInt64(width))
            let weight = TestSupport.randomValues(width, seed: 9).map { 1 + $0 * 0.1 }
            let fast = RMSNorm.apply(Matrix(rows: 3, cols: width, data: x), weight: weight, eps: 1e-5).data
            let naive = NaiveKernels.rmsNorm(x, width: width, weight: weight, eps: 1e-5)
            XCTAssertLessThan(TestSupport.relativeError(fast, naive), 1e-6, "width \(width)")
        }
    }

    func testSoftmaxMatchesNaive() {
        for n in awkwardSizes {
            var x = TestSupport.randomValues(n, seed: UInt64(n), scale: 20)
            let naive = NaiveKernels.softmax(x)
            Softmax.inPlace(&x)
            XCTAssertLessThan(TestSupport.relativeError(x, naive), 1e-6)
        }
    }

    func testTopKPicksLargestInOrder() {
        let values: [Float] = [0.1, 0.7, -3, 0.7, 2, 0.05]
        XCTAssertEqual(TopK.indices(values, k: 1), [4])
        XCTAssertEqual(TopK.indices(values, k: 3), [4, 1, 3])
        XCTAssertEqual(TopK.indices(values, k: 6), [4, 1, 3, 0, 5, 2])
        XCTAssertEqual(TopK.indices(values, k: 0), [])
    }

    func testRoPEMatchesNaiveFullAndPartial() {
        for (headDim, rotary) in [(8, 8), (16, 8), (6, 2), (34, 34)] {
            let tokens = 5, heads = 3
            var x = TestSupport.randomValues(tokens * heads * headDim, seed: UInt64(headDim))
            let naive = NaiveKernels.rope(x, tokens: tokens, heads: heads, headDim: headDim, rotaryDim: rotary,
                                          firstPosition: 11, theta: 10000)
            x.withUnsafeMutableBufferPointer {
                RoPE.apply($0.baseAddress!, tokens: tokens, heads: heads, headDim: headDim, rotaryDim: rotary,
                           firstPosition: 11, inverseFrequencies: RoPE.inverseFrequencies(theta: 10000, rotaryDim: rotary))
            }
            XCTAssertLessThan(TestSupport.relativeError(x, naive), 1e-5, "headDim \(headDim) rotary \(rotary)")
        }
    }

    func testLightningBlockwiseMatchesRecurrence() {
        // Sequences shorter than, equal to and longer than a block, with a ragged last block,
        // starting from a non-zero state.
        for (tokens, blockSize, heads, d) in [(1, 4, 2, 3), (4, 4, 3, 5), (13, 4, 2, 7), (40, 16, 1, 17), (9, 256, 5, 4)] {
            let (qkv, slopes, initial, naive, naiveState) = lightningCase(tokens: tokens, heads: heads, headDim: d)
            var fastState = transposedPerHead(initial, heads: heads, d: d)
            let out = lightningAttention(qkv: qkv, tokens: tokens, heads: heads, headDim: d, slopes: slopes,
                                         blockSize: blockSize, state: &fastState)
            XCTAssertLessThan(TestSupport.relativeError(out, naive), 1e-5, "T=\(tokens) B=\(blockSize)")
            // The fast kernel keeps Sᵀ per head.
            XCTAssertLessThan(TestSupport.relativeError(transposedPerHead(fastState, heads: heads, d: d), naiveState), 1e-5, "state T=\(tokens)")
        }
    }

    func testPagedAttentionMatchesNaiveAcrossPagesTilesAndWindows() {
        for (tokens, past, heads, kvHeads, d, window, pageSize) in [
            (1, 0, 1, 1, 3, nil, 4), (5, 0, 4, 2, 7, nil, 4), (3, 6, 6, 2, 17, nil, 5), (70, 3, 8, 1, 16, 9 as Int?, 16),
            (4, 0, 3, 3, 5, 1, 3), (1, 40, 4, 1, 8, nil, 16), (130, 0, 2, 2, 4, 100, 32),
        ] {
            let (q, k, v, naive) = pagedCase(tokens: tokens, past: past, heads: heads, keyValueHeads: kvHeads, headDim: d, window: window)
            let out = pagedAttention(queries: q, keys: k, values: v, tokens: tokens, past: past, heads: heads, keyValueHeads: kvHeads,
                                     headDim: d, window: window, pageSize: pageSize)
            XCTAssertLessThan(TestSupport.relativeError(out, naive), 1e-5, "T=\(tokens) past=\(past) page=\(pageSize) window=\(String(describing: window))")
        }
    }

    /// Random queries [T, H, d], keys and values [past + T, H_kv, d], and the naive attention [T, H, d] over them.
    func pagedCase(tokens: Int, past: Int, heads: Int, keyValueHeads kvHeads: Int, headDim d: Int, window: Int?)
        -> (q: [Float], k: [Float], v: [Float], naive: [Float]) {
        let total = past + tokens
        let q = TestSupport.randomValues(tokens * heads * d, seed: 1, scale: 2)
        let k = TestSupport.randomValues(total * kvHeads * d, seed: 2, scale: 2)
        let v = TestSupport.randomValues(total * kvHeads * d, seed: 3)
        let naive = NaiveKernels.causalAttention(queries: q, tokens: tokens, heads: heads, keyValueHeads: kvHeads,
                                                 headDim: d, keys: k, values: v, past: past, window: window)
        return (q, k, v, naive)
    }

    /// `PagedAttention.forward` over keys and values [past + T, H_kv, d] laid out in pages.
    func pagedAttention(
        queries q: [Float], keys k: [Float], values v: [Float], tokens: Int, past: Int, heads: Int, keyValueHeads kvHeads: Int,
        headDim d: Int, window: Int?, pageSize: Int, precision: MatMulPrecision = .exact
    ) -> [Float] {
        let total = past + tokens
        // Lay the cache out in pages: keys [H_kv, P, d], values [H_kv, d, P].
        let pageCount = (total + pageSize - 1) / pageSize
        var keyPages = [[Float]](repeating: [Float](repeating: 0, count: kvHeads * pageSize * d), count: pageCount)
        var valuePages = keyPages
        for t in 0..<total {
            for g in 0..<kvHeads {
                for c in 0..<d {
                    keyPages[t / pageSize][(g * pageSize + t % pageSize) * d + c] = k[(t * kvHeads + g) * d + c]
                    valuePages[t / pageSize][(g * d + c) * pageSize + t % pageSize] = v[(t * kvHeads + g) * d + c]
                }
            }
        }
        let keyPointers = keyPages.map { page -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: page.count); p.initialize(from: page, count: page.count); return p }
        let valuePointers = valuePages.map { page -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: page.count); p.initialize(from: page, count: page.count); return p }
        defer { (keyPointers + valuePointers).forEach { $0.deallocate() } }
        var out = [Float](repeating: 0, count: tokens * heads * d)
        q.withUnsafeBufferPointer { qp in
            out.withUnsafeMutableBufferPointer { op in
                PagedAttention.forward(queries: qp.baseAddress!, tokens: tokens, heads: heads, keyValueHeads: kvHeads,
                                       headDim: d, keyPages: keyPointers.map { UnsafePointer($0) },
                                       valuePages: valuePointers.map { UnsafePointer($0) }, pageSize: pageSize,
                                       past: past, window: window, out: op.baseAddress!, precision: precision)
            }
        }
        return out
    }

    /// Random qkv [T, H, 3, d], decay slopes and initial state S [H, d, d], with the naive recurrence's
    /// output [T, H, d] and final state from them.
    func lightningCase(tokens: Int, heads: Int, headDim d: Int)
        -> (qkv: [Float], slopes: [Float], initial: [Float], naive: [Float], naiveState: [Float]) {
        let qkv = TestSupport.randomValues(tokens * heads * 3 * d, seed: UInt64(tokens))
        let slopes = (0..<heads).map { Float(pow(2.0, -8.0 * Double($0 + 1) / Double(heads))) }
        let initial = TestSupport.randomValues(heads * d * d, seed: 77)
        var naiveState = initial
        let naive = NaiveKernels.lightningAttention(qkv: qkv, tokens: tokens, heads: heads, headDim: d,
                                                    slopes: slopes, state: &naiveState)
        return (qkv, slopes, initial, naive, naiveState)
    }

    /// `LightningAttention.forward` of qkv [T, H, 3, d] from and into `state` (Sᵀ per head): out [T, H, d].
    func lightningAttention(
        qkv: [Float], tokens: Int, heads: Int, headDim d: Int, slopes: [Float], blockSize: Int, state: inout [Float],
        precision: MatMulPrecision = .exact
    ) -> [Float] {
        var out = [Float](repeating: 0, count: tokens * heads * d)
        qkv.withUnsafeBufferPointer { q in
            state.withUnsafeMutableBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    LightningAttention.forward(qkv: q.baseAddress!, tokens: tokens, heads: heads, headDim: d, slopes: slopes,
                                               blockSize: blockSize, state: s.baseAddress!, out: o.baseAddress!, precision: precision)
                }
            }
        }
        return out
    }

    func transposedPerHead(_ s: [Float], heads: Int, d: Int) -> [Float] {
        var out = s
        for h in 0..<heads { for r in 0..<d { for c in 0..<d { out[h * d * d + c * d + r] = s[h * d * d + r * d + c] } } }
        return out
    }

}

final class VectorMathTests: XCTestCase {
    func testVectorExpMatchesExpf() {
        var worst: Float = 0
        var x: Float = -90
        while x < 88 - 16 * 0.0137 {
            let lanes = SIMD16<Float>((0..<16).map { x + Float($0) * 0.0137 })
            let fast = VectorMath.exp(lanes)
            for i in 0..<16 {
                let reference = expf(lanes[i])
                if reference > 1e-37 { worst = max(worst, abs(fast[i] - reference) / reference) }
                else { XCTAssertLessThanOrEqual(fast[i], 1e-37) }
            }
            x += 0.219
        }
        XCTAssertLessThan(worst, 4e-7)
        XCTAssertEqual(VectorMath.exp(SIMD16(repeating: -.infinity))[0], 0)
    }

    func testVectorSiLUAndSigmoidMatchScalar() {
        for n in [1, 15, 16, 17, 100] {
            let values = TestSupport.randomValues(n, seed: UInt64(n), scale: 12)
            var silu = values, sigmoid = values
            silu.withUnsafeMutableBufferPointer { VectorMath.siluInPlace($0.baseAddress!, count: n) }
            sigmoid.withUnsafeMutableBufferPointer { VectorMath.sigmoidInPlace($0.baseAddress!, count: n) }
            XCTAssertLessThan(TestSupport.relativeError(silu, values.map(Activations.silu)), 1e-6)
            XCTAssertLessThan(TestSupport.relativeError(sigmoid, values.map(Activations.sigmoid)), 1e-6)
        }
    }
}

/// The C kernels against their Swift twins.
final class CKernelTwinTests: XCTestCase {
    func testBFloat16WideningMatchesSwift() {
        for n in [0, 1, 15, 16, 17, 63, 64, 65, 200, 1027] {
            let values = TestSupport.randomValues(max(n, 1), seed: UInt64(n) + 5)
            let w = TensorView.owned(Array(values.prefix(max(n, 1))), shape: [max(n, 1)], dtype: .bfloat16)
            var c = [Float](repeating: -1, count: max(n, 1)), swift = c
            c.withUnsafeMutableBufferPointer { WidenRow.widen(w, start: 0, count: n, into: $0.baseAddress!) }
            swift.withUnsafeMutableBufferPointer { WidenRow.widenBFloat16Portable(w, start: 0, count: n, into: $0.baseAddress!) }
            XCTAssertEqual(c, swift, "widen \(n)")
        }
    }

    /// `BFloat16DotMatMul.round(_:count:intoBits:)` (C, vectorized) is `HalfPrecision.bfloat16Bits(from:)`
    /// element by element: ties both ways, the largest finite values, infinities, NaNs, denormals, ±0.
    func testBFloat16NarrowingMatchesSwift() {
        let special: [UInt32] = [0x3F80_8000, 0x3F81_8000, 0x3F80_7FFF, 0x3F80_8001, 0x7F7F_FFFF, 0xFF7F_FFFF, 0x7F80_0000,
                                 0xFF80_0000, 0x7FC0_0000, 0x7F80_0001, 0xFFFF_FFFF, 0x0000_0001, 0x8000_8000, 0, 0x8000_0000]
        var random = SplitMix64(seed: 9)
        let values = special.map { Float(bitPattern: $0) } + (0..<1000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
        for n in [0, 1, 15, 16, 17, 64, 1015] {
            var bits = [UInt16](repeating: 0xDEAD, count: n + 1)
            values.withUnsafeBufferPointer { v in bits.withUnsafeMutableBufferPointer { BFloat16DotMatMul.round(v.baseAddress!, count: n, intoBits: $0.baseAddress!) } }
            XCTAssertEqual(Array(bits.prefix(n)), values.prefix(n).map { HalfPrecision.bfloat16Bits(from: $0) }, "narrow \(n)")
            XCTAssertEqual(bits[n], 0xDEAD, "narrow \(n) wrote past the end")
        }
    }
}
