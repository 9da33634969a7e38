import CKernels
import Foundation
@testable import Kernels
import Tensors
import TestSupport
import XCTest

/// Int8-quantized activations × int8 / q4 weights: the quantizer against the Swift definition, the
/// VNNI kernel against its portable twin (bit for bit) and both against the Swift reference, batch
/// invariance, and the quantization error against the fp32-activation product.
final class QuantizedActivationTests: XCTestCase {
    /// k: 1, primes, partial blocks and chunks, whole and partial 512-element spans; 2600 and 4700:
    /// prompts whose spans the VNNI panel kernel takes in two and three chunks of four.
    let depths = [1, 15, 31, 32, 33, 97, 300, 512, 1100, 1536, 2600, 4700]
    /// Groups: one per row, and 32 / 64 / 96 / 128 / 512 where they fit a row (96: chunks that
    /// straddle groups; 512: a span inside one group).
    func groups(k: Int, dtype: DType) -> [Int?] {
        let smaller: [Int?] = [32, 64, 96, 128, 512].filter { $0 < k }
        return dtype == .int8 ? [nil] + smaller : (k <= 32 ? [32] : smaller)
    }

    func weight(n: Int, k: Int, dtype: DType, group: Int?) -> TensorView {
        TensorView.quantized(TestSupport.randomValues(n * k, seed: UInt64(k * 7 + (group ?? 0))), shape: [n, k], dtype: dtype, groupSize: group)
    }

    func activations(_ x: [Float], rows: Int, k: Int, for dtype: DType) -> QuantizedActivations {
        let a = QuantizedActivations()
        x.withUnsafeBufferPointer { a.quantize($0.baseAddress!, rows: rows, k: k, layout: .init(for: dtype)) }
        return a
    }

    func product(_ a: QuantizedActivations, _ w: TensorView, path: KernelPath) -> [Float] {
        var out = [Float](repeating: .nan, count: a.rows * w.shape[0])
        out.withUnsafeMutableBufferPointer { QuantizedMatVec.multiply(a, weight: w, into: $0.baseAddress!, path: path) }
        return out
    }

    var vnniAvailable: Bool {
        guard KernelPath.vnni.isAvailable() && KernelPath.vnni.usesVNNIKernels else {
            print("QuantizedActivationTests: skipped the VNNI kernel: this CPU lacks AVX-512 VNNI (features: \(CPUFeatures.detected))")
            return false
        }
        return true
    }

    /// The fast paths this CPU can run next to the portable twin: `avx2` runs the AVX2 kernels and
    /// `avxvnni` the AVX-VNNI ones (on a CPU with AVX-512 VNNI too, since those paths stop below
    /// `vnni`), `vnni` the AVX-512 VNNI ones.
    var fastPaths: [KernelPath] {
        var paths: [KernelPath] = []
        if KernelPath.avx2.isAvailable() && KernelPath.avx2.usesAVX2Int8Kernels {
            paths.append(.avx2)
        } else {
            print("QuantizedActivationTests: skipped the AVX2 kernel: this CPU lacks AVX2 + FMA (features: \(CPUFeatures.detected))")
        }
        if KernelPath.avxvnni.isAvailable() && KernelPath.avxvnni.usesAVXVNNIKernels {
            paths.append(.avxvnni)
        } else {
            print("QuantizedActivationTests: skipped the AVX-VNNI kernel: this CPU lacks AVX-VNNI (features: \(CPUFeatures.detected))")
        }
        if vnniAvailable { paths.append(.vnni) }
        return paths
    }

    func testQuantizedActivationsEqualTheSwiftDefinition() {
        for dtype in DType.quantizedCases {
            for k in depths {
                let rows = 3, x = TestSupport.randomValues(rows * k, seed: UInt64(k), scale: 2)
                let a = activations(x, rows: rows, k: k, for: dtype)
                for t in 0..<rows {
                    let expected = NaiveKernels.quantizeActivations(x[(t * k)..<((t + 1) * k)])
                    let blocks = expected.scales.count
                    let got = NaiveKernels.QuantizedActivationRow(
                        codes: (0..<k).map { a.code(row: t, element: $0) }, scales: (0..<blocks).map { a.scale(row: t, block: $0) },
                        sums: (0..<blocks).map { a.sum(row: t, block: $0) })
                    XCTAssertEqual(got, expected, "\(dtype) k \(k) row \(t)")
                    for b in 0..<blocks {
                        let codeSum = expected.codes[(32 * b)..<min(k, 32 * b + 32)].reduce(0) { $0 + Int32($1) }
                        XCTAssertEqual(a.correction(row: t, block: b), dtype == .int8 ? -128 * codeSum : 0, "\(dtype) k \(k) row \(t) block \(b)")
                    }
                    if k % 512 != 0 { XCTAssertEqual(a.scale(row: t, block: blocks), 0, "\(dtype) k \(k) padding block") }
                }
            }
        }
    }

    /// Values on a block's grid (with ±127 present) come back exactly; a zero block has d = 0 and
    /// zero codes.
    func testGridValuesRoundTripAndZeroBlocksStayZero() {
        var random = SplitMix64(seed: 3)
        let k = 100, step: Float = 0.015625
        var x = (0..<k).map { i -> Float in
            let code = i % 32 == 0 ? (i % 64 == 0 ? 127 : -127) : Int(random.next() % 255) - 127
            return Float(code) * step
        }
        for i in 32..<64 { x[i] = 0 }
        for layout in [QuantizedActivations.Layout.int8Weights, .int4Weights] {
            let a = QuantizedActivations()
            x.withUnsafeBufferPointer { a.quantize($0.baseAddress!, rows: 1, k: k, layout: layout) }
            XCTAssertEqual(a.scale(row: 0, block: 1), 0)
            XCTAssertEqual(a.sum(row: 0, block: 1), 0)
            for i in 0..<k {
                let d = a.scale(row: 0, block: i / 32)
                XCTAssertEqual(Float(a.code(row: 0, element: i)) * d, x[i], "\(layout) element \(i)")
                if (32..<64).contains(i) { XCTAssertEqual(a.code(row: 0, element: i), 0) }
            }
        }
    }

    func testEveryAvailablePathMatchesTheTwinAndTheReference() {
        let paths = [KernelPath.portable] + fastPaths
        for dtype in DType.quantizedCases {
            for k in depths {
                for group in groups(k: k, dtype: dtype) {
                    let n = 13, w = weight(n: n, k: k, dtype: dtype, group: group)
                    // Blocks of up to eight activation rows: one, partial and whole blocks and remainders
                    // (from 16 rows the VNNI panel kernel: 22 ends in a half block of four and two rows).
                    for t in [1, 2, 3, 4, 5, 8, 9, 17, 22] {
                        let x = TestSupport.randomValues(t * k, seed: UInt64(t * 31 + k))
                        let a = activations(x, rows: t, k: k, for: dtype)
                        let twin = product(a, w, path: .portable)
                        let reference = NaiveKernels.matmulQuantizedActivations(x, rows: t, weight: w)
                        let label = "\(dtype) k \(k) group \(group.map(String.init) ?? "row") rows \(t)"
                        for path in paths {
                            let out = product(a, w, path: path)
                            XCTAssertEqual(out.map(\.bitPattern), twin.map(\.bitPattern), "\(path) \(label): not the twin's bits")
                            XCTAssertLessThanOrEqual(TestSupport.relativeError(out, reference), 1e-6, "\(path) \(label)")
                        }
                    }
                }
            }
        }
    }

    /// A row's result is the same bits alone, with others, in any position of a block of rows, and
    /// for any split of the weight rows.
    func testResultsDoNotDependOnTheOtherRows() {
        let paths = [KernelPath.portable] + fastPaths
        for dtype in DType.quantizedCases {
            for k in [97, 1100, 2600] {  // 2600: blocks of four rows (eight would not stay in L1)
                let n = 11, rows = 19, w = weight(n: n, k: k, dtype: dtype, group: dtype == .int8 ? nil : 32)
                let x = TestSupport.randomValues(rows * k, seed: 77)
                for path in paths {
                    let all = product(activations(x, rows: rows, k: k, for: dtype), w, path: path)
                    for t in 0..<rows {
                        let alone = product(activations(Array(x[(t * k)..<((t + 1) * k)]), rows: 1, k: k, for: dtype), w, path: path)
                        XCTAssertEqual(alone.map(\.bitPattern), all[(t * n)..<((t + 1) * n)].map(\.bitPattern), "\(path) \(dtype) k \(k) row \(t)")
                    }
                    let a = activations(x, rows: rows, k: k, for: dtype)
                    var split = [Float](repeating: .nan, count: rows * n)
                    split.withUnsafeMutableBufferPointer { out in
                        for range in [0..<4, 4..<5, 5..<n] {
                            QuantizedMatVec.multiply(a, weight: w, outputs: range, into: out.baseAddress!, path: path)
                        }
                    }
                    XCTAssertEqual(split.map(\.bitPattern), all.map(\.bitPattern), "\(path) \(dtype) k \(k) split rows")
                }
            }
        }
    }

    /// A prompt's rows are quantized on several threads (at k = 1024, 16 rows a task): the bytes are
    /// those of each row quantized alone, whatever the thread count.
    func testManyRowsQuantizeAsEachRowAlone() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let (rows, k) = (70, 1024), rowBytes = QuantizedActivations.rowBytes(k: k)
        let x = TestSupport.randomValues(rows * k, seed: 12)
        for layout in [QuantizedActivations.Layout.int8Weights, .int4Weights] {
            var alone: [UInt8] = []
            for t in 0..<rows {
                let one = QuantizedActivations()
                x.withUnsafeBufferPointer { one.quantize($0.baseAddress! + t * k, rows: 1, k: k, layout: layout) }
                alone += Array(UnsafeRawBufferPointer(start: one.base, count: rowBytes))
            }
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                let all = QuantizedActivations()
                x.withUnsafeBufferPointer { all.quantize($0.baseAddress!, rows: rows, k: k, layout: layout) }
                XCTAssertEqual(Array(UnsafeRawBufferPointer(start: all.base, count: rows * rowBytes)), alone, "\(layout) \(threads) threads")
            }
        }
    }

    /// The int8 activations cost little accuracy against fp32 activations × the same weights (a
    /// wrong block or weight scale would be off by far more).
    func testErrorAgainstTheFloatActivationProductIsSmall() {
        let path = KernelPath.selected
        for dtype in DType.quantizedCases {
            for (k, group) in [(512, nil), (1100, 32 as Int?), (1536, 128)] where group != nil || dtype == .int8 {
                let n = 64, t = 3, w = weight(n: n, k: k, dtype: dtype, group: group)
                let x = TestSupport.randomValues(t * k, seed: 5)
                let out = product(activations(x, rows: t, k: k, for: dtype), w, path: path)
                let error = TestSupport.relativeError(out, NaiveKernels.matmul(x, rows: t, weight: w))
                XCTAssertLessThanOrEqual(error, 2e-2, "\(path) \(dtype) k \(k)")
                print("QuantizedActivationTests: \(dtype) k \(k) group \(group.map(String.init) ?? "row"): relative error \(error) against fp32 activations")
            }
        }
    }

    /// Decode's weight-row prefetch (`QuantizedMatVec.decodePrefetchRows`: 8 on Intel Xeons) is a
    /// hint: with it on or off every kernel gives the same bits, for one row and for a block of rows.
    func testDecodePrefetchChangesNoResult() {
        let expected = CPUFeatures.vendor == .intel && CPUFeatures.detected.isSuperset(of: CPUFeatures.avx512) ? 8 : 0
        if ProcessInfo.processInfo.environment["MINIMAX_Q8ACT_PREFETCH_ROWS"] == nil {
            XCTAssertEqual(QuantizedMatVec.decodePrefetchRows, expected)
        }
        defer { minimax_q8act_set_prefetch_rows(QuantizedMatVec.decodePrefetchRows) }
        for dtype in DType.quantizedCases {
            let k = 1100, n = 40, w = weight(n: n, k: k, dtype: dtype, group: 32)
            for t in [1, 3] {
                let a = activations(TestSupport.randomValues(t * k, seed: 5), rows: t, k: k, for: dtype)
                for path in [KernelPath.portable] + fastPaths {
                    minimax_q8act_set_prefetch_rows(0)
                    let plain = product(a, w, path: path)
                    minimax_q8act_set_prefetch_rows(8)
                    XCTAssertEqual(product(a, w, path: path).map(\.bitPattern), plain.map(\.bitPattern), "\(path) \(dtype) rows \(t)")
                }
            }
        }
    }

    func testKernelReportNamesTheVNNIKernel() {
        let report = KernelPath.vnni.kernelReport.joined(separator: "\n")
        XCTAssertTrue(report.contains("int8-activation"), report)
        XCTAssertEqual(report.contains("vpdpbusd"), KernelPath.vnni.usesVNNIKernels, report)
        XCTAssertFalse(KernelPath.portable.usesVNNIKernels)
        XCTAssertFalse(KernelPath.avx512.usesVNNIKernels)
        // Below vnni (or on a CPU without AVX-512 VNNI), AVX2 CPUs run the vpmaddubsw kernels.
        XCTAssertFalse(KernelPath.portable.usesAVX2Int8Kernels)
        XCTAssertEqual(KernelPath.avx2.usesAVX2Int8Kernels, KernelPath.avx2.isAvailable())
        let avx2Report = KernelPath.avx2.kernelReport.joined(separator: "\n")
        XCTAssertEqual(avx2Report.contains("vpmaddubsw (avx2)"), KernelPath.avx2.isAvailable(), avx2Report)
        // From avxvnni up (below vnni's AVX-512 kernels), CPUs with AVX-VNNI run the ymm vpdpbusd kernels.
        XCTAssertFalse(KernelPath.avx2.usesAVXVNNIKernels)
        XCTAssertEqual(KernelPath.avxvnni.usesAVXVNNIKernels, KernelPath.avxvnni.isAvailable())
        XCTAssertFalse(KernelPath.avxvnni.usesAVX2Int8Kernels && KernelPath.avxvnni.isAvailable())
        let avxvnniReport = KernelPath.avxvnni.kernelReport.joined(separator: "\n")
        XCTAssertEqual(avxvnniReport.contains("vpdpbusd ymm (avx_vnni)"), KernelPath.avxvnni.isAvailable(), avxvnniReport)
    }
}
