@testable import Kernels
import Tensors
import TestSupport
import XCTest

/// int8 / q4 weights on the bf16 kernels: their rows dequantized and rounded to bf16 (`BFloat16Rows`)
/// bit for bit as the Swift definition does it, every bf16 kernel giving a quantized weight exactly
/// what it gives that bf16 rounding of it, and `MatMul` sending tiled rows (only) there.
final class QuantizedBFloat16Tests: XCTestCase {
    /// (dtype, k, group): per-row and grouped int8, q4 groups of 32 and 64, K with a partial block.
    let cases: [(DType, Int, Int?)] = [
        (.int8, 100, nil), (.int8, 1024, 32), (.int8, 1056, nil), (.int8, 96, 64),
        (.int4, 100, 32), (.int4, 1024, 32), (.int4, 1025, 64), (.int4, 64, 32),
    ]

    func weight(_ dtype: DType, n: Int, k: Int, group: Int?, seed: UInt64 = 5) -> TensorView {
        TensorView.quantized(TestSupport.randomValues(n * k, seed: seed), shape: [n, k], dtype: dtype, groupSize: group)
    }

    func bits(_ w: TensorView) -> [UInt16] {
        Array(UnsafeBufferPointer(start: w.base.assumingMemoryBound(to: UInt16.self), count: w.shape[0] * w.shape[1]))
    }

    func testDequantizedRowsAreTheRoundedDequantizedWeights() {
        for (dtype, k, group) in cases {
            let n = 37, w = weight(dtype, n: n, k: k, group: group)
            let reference = bits(BFloat16Rows.dequantized(w))
            // The reference itself: each element is bf16(the fp32 dequantized value).
            let widened = w.toFloatArray()
            XCTAssertEqual(reference, widened.map { HalfPrecision.bfloat16Bits(from: $0) }, "\(dtype) k \(k) group \(String(describing: group))")
            for chunkRows in [1, 7, 32, n] {
                var got = [UInt16](repeating: 0xFFFF, count: n * k), starts: [Int] = []
                BFloat16Rows.forEachChunk(of: w, first: 3, count: n - 3, chunkRows: chunkRows) { rows, start, count in
                    XCTAssertLessThanOrEqual(count, chunkRows)
                    starts.append(start)
                    for i in 0..<(count * k) { got[start * k + i] = rows[i] }
                }
                XCTAssertEqual(starts, Array(stride(from: 3, to: n, by: chunkRows)), "chunks of \(chunkRows)")
                XCTAssertEqual(Array(got[(3 * k)...]), Array(reference[(3 * k)...]), "\(dtype) k \(k) group \(String(describing: group)) chunks of \(chunkRows)")
            }
        }
    }

    /// Each bf16 kernel this machine has (and the AMX tile model in both layouts, and the portable
    /// path) gives a quantized weight's product the bits of its bf16 rounding's.
    func testEveryBFloat16KernelMultipliesTheRoundedWeights() {
        for (dtype, k, group) in cases {
            for (t, n) in [(5, 33), (40, 70)] {
                let w = weight(dtype, n: n, k: k, group: group, seed: UInt64(n)), rounded = BFloat16Rows.dequantized(w)
                let x = TestSupport.randomValues(t * k, seed: UInt64(t + k))
                let label = "\(dtype) T \(t) K \(k) N \(n) group \(String(describing: group))"
                func run(_ weight: TensorView, _ multiply: (UnsafePointer<Float>, TensorView, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
                    TestSupport.product(x, outputs: t * n) { multiply($0, weight, $1) }
                }
                var kernels: [(String, (UnsafePointer<Float>, TensorView, UnsafeMutablePointer<Float>) -> Void)] = [
                    ("portable", { BFloat16DotMatMul.multiplyPortable($0, rows: t, weight: $1, into: $2) }),
                    ("best here, one thread", { BFloat16DotMatMul.multiply($0, rows: t, weight: $1, into: $2, parallel: false) }),
                    ("best here", { BFloat16DotMatMul.multiply($0, rows: t, weight: $1, into: $2) }),
                ]
                for layout in [AMXBFloat16MatMul.Layout.weightsA, .activationsA] {
                    kernels.append(("AMX tile model, \(layout.rawValue)", {
                        AMXBFloat16MatMul.multiply($0, rows: t, weight: $1, into: $2, tiles: .model, layout: layout)
                    }))
                }
                for (name, multiply) in kernels {
                    let expected = run(rounded, multiply), got = run(w, multiply)
                    XCTAssertFalse(got.contains { $0.isNaN }, "\(name) \(label): an output left unwritten")
                    XCTAssertEqual(got, expected, "\(name) \(label)")
                }
                // And the rounding costs little against the fp32 product of the same weights.
                let exact = run(w) { PackedMatMul.multiply($0, rows: t, weight: $1, into: $2, parallel: true) }
                XCTAssertLessThan(TestSupport.relativeError(run(w) { BFloat16DotMatMul.multiplyPortable($0, rows: t, weight: $1, into: $2) }, exact), 1e-2, label)
            }
        }
    }

    /// `MatMul` under `int8` and `bf16`: single rows stay where they were (the integer kernel, the
    /// in-register dequantization), tiled rows go to the bf16 kernels where the CPU has them.
    func testMatMulSendsOnlyTiledQuantizedRowsToTheBFloat16Kernels() {
        let (t, single, k, n) = (12, 3, 1024, 40)
        let x = TestSupport.randomValues(t * k, seed: 11)
        let saved = BFloat16DotMatMul.quantizedTiledRows
        defer { BFloat16DotMatMul.quantizedTiledRows = saved }
        // Every route this CPU can take: by CPU, always (int8 on the bf16 kernels too), never.
        for route in [BFloat16DotMatMul.QuantizedTiledRows.byCPU, .always, .never] {
        BFloat16DotMatMul.quantizedTiledRows = route
        for dtype in [DType.int8, .int4] {
            let w = weight(dtype, n: n, k: k, group: dtype == .int8 ? nil : 32), rounded = BFloat16Rows.dequantized(w)
            for precision in [MatMulPrecision.int8, .bfloat16, .exact] {
                let got = TestSupport.product(x, outputs: t * n) {
                    MatMul.multiply($0, rows: t, singleRows: single, weight: w, into: $1, precision: precision)
                }
                let singles = TestSupport.product(Array(x[..<(single * k)]), outputs: single * n) {
                    if precision == .int8 {
                        QuantizedActivationProduct.multiply($0, rows: single, weight: w, into: $1, parallel: true)
                    } else {
                        MatMul.multiply($0, rows: single, singleRows: single, weight: w, into: $1, precision: .exact)
                    }
                }
                let tiledX = Array(x[(single * k)...])
                let onBFloat16 = precision == .bfloat16 ? BFloat16DotMatMul.takesQuantizedTiledRows
                    : precision == .int8 ? BFloat16DotMatMul.takesQuantizedTiledRowsUnderInt8 && !AMXQuantizedProduct.isChosen
                    : false
                XCTAssertEqual(MatMul.tiledRowsRunOnBFloat16Kernels(dtype, precision: precision), onBFloat16)
                let tiled = TestSupport.product(tiledX, outputs: (t - single) * n) {
                    if onBFloat16 {
                        BFloat16DotMatMul.multiply($0, rows: t - single, weight: rounded, into: $1)
                    } else if precision == .int8 {
                        MatMul.multiply($0, rows: t - single, singleRows: 0, weight: w, into: $1, precision: .int8)
                    } else {
                        PackedMatMul.multiply($0, rows: t - single, weight: w, into: $1, parallel: true)
                    }
                }
                XCTAssertEqual(Array(got[..<(single * n)]), singles, "\(dtype) \(precision): single rows")
                XCTAssertEqual(Array(got[(single * n)...]), tiled, "\(dtype) \(precision) \(route): tiled rows (bf16 kernels: \(onBFloat16))")
                if route == .always && precision != .exact && (BFloat16DotMatMul.isAvailable || AMXBFloat16MatMul.isAvailable) {
                    XCTAssertTrue(onBFloat16 || AMXQuantizedProduct.isChosen, "\(dtype) \(precision): always means the bf16 kernels")
                }
                if route == .never { XCTAssertFalse(onBFloat16, "\(dtype) \(precision): never") }
            }
        }
        }
    }

    /// What `minimax bench` prints names the kernel `MatMul` sends quantized tiled rows to, and
    /// the rule is the one measured: under bf16 the bf16 kernels wherever they exist; under int8
    /// only with AMX tiles (with `vdpbf16ps` alone the integer kernels were as fast or faster).
    func testKernelReportNamesTheQuantizedTiledRowsKernel() {
        let path = KernelPath.selected, line = path.quantizedTiledKernel
        XCTAssertTrue(path.kernelReport.contains("  int8/q4 tiled rows under --precision \(line)"))
        let bf16 = !BFloat16DotMatMul.takesQuantizedTiledRows ? "fp32 tiled" : path.usesAMXBFloat16 ? "tdpbf16ps" : "vdpbf16ps"
        XCTAssertTrue(line.hasPrefix("bf16: \(bf16)"), line)
        let int8 = BFloat16DotMatMul.takesQuantizedTiledRowsUnderInt8
        XCTAssertTrue(line.contains(int8 ? "int8: as under bf16" : "int8: the int8-activation kernels") || path.usesAMXInt8, line)
        if BFloat16DotMatMul.quantizedTiledRows == .byCPU {
            XCTAssertEqual(int8, AMXBFloat16MatMul.isAvailable)
        }
    }
}
