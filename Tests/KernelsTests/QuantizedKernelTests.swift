import Kernels
import Tensors
import TestSupport
import XCTest

/// int8 / q4 weights: the quantizer's grid, the Swift decoding (`TensorView.element`, the twin),
/// the C dequantizer used by prefill, and both matrix-vector kernels (portable and AVX-512, each
/// where the CPU has it) held equal to the twin on awkward sizes.
final class QuantizedKernelTests: XCTestCase {
    /// (k, group): rows of 1, primes, non-multiples of 16 and 32 (a q4 row's partial last block),
    /// one scale per row and several groups per row (with a partial last group), and groups of 32
    /// spanning whole 16-group blocks (the AVX-512 q4 kernel's block loop) with groups and a
    /// partial block after them.
    let shapes: [(k: Int, group: Int?)] = [
        (1, nil), (15, nil), (16, nil), (17, nil), (31, 32), (32, 32), (33, 32), (97, nil), (97, 32), (160, 64),
        (300, 32), (512, 32), (1100, 32), (1024, 128), (1024, nil),
    ]

    func twin(_ x: [Float], rows: Int, _ w: TensorView) -> [Float] { NaiveKernels.matmul(x, rows: rows, weight: w) }

    func testEveryAvailablePathMatchesTheTwin() {
        var skipped: [KernelPath] = []
        for path in [KernelPath.portable, .avx512] {
            guard path.isAvailable() else {
                skipped.append(path)
                continue
            }
            for dtype in DType.quantizedCases {
                for (k, group) in shapes {
                    let n = 37
                    let w = TensorView.quantized(
                        TestSupport.randomValues(n * k, seed: UInt64(k)), shape: [n, k], dtype: dtype, groupSize: group)
                    for t in [1, 2, 3, 4, 5, 9] {
                        let x = TestSupport.randomValues(t * k, seed: UInt64(t * 31 + k))
                        var out = [Float](repeating: .nan, count: t * n)
                        x.withUnsafeBufferPointer { xp in
                            out.withUnsafeMutableBufferPointer {
                                QuantizedMatVec.multiply(xp.baseAddress!, rows: t, weight: w, into: $0.baseAddress!, path: path)
                            }
                        }
                        XCTAssertLessThan(TestSupport.relativeError(out, twin(x, rows: t, w)), 2e-6,
                                          "\(path) \(dtype) k \(k) group \(group.map(String.init) ?? "row") rows \(t)")
                    }
                }
            }
        }
        if !skipped.isEmpty {
            print("QuantizedKernelTests: skipped the \(skipped.map(\.description).joined(separator: ", ")) path(s): this CPU lacks them (features: \(CPUFeatures.detected))")
        }
    }

    /// The prefill path's C dequantizer gives the twin's values, bit for bit, from any start.
    func testDequantizedRowsEqualTheSwiftDecoding() {
        for dtype in DType.quantizedCases {
            for (k, group) in shapes {
                let w = TensorView.quantized(TestSupport.randomValues(3 * k, seed: 9), shape: [3, k], dtype: dtype, groupSize: group)
                var all = [Float](repeating: .nan, count: 3 * k)  // a range across rows
                all.withUnsafeMutableBufferPointer { WidenRow.widen(w, start: 0, count: 3 * k, into: $0.baseAddress!) }
                XCTAssertEqual(all, (0..<(3 * k)).map(w.element), "\(dtype) k \(k) all rows")
                for row in 0..<3 {
                    for first in Set([0, k / 3, max(0, k - 1)]) {
                        let count = k - first
                        var out = [Float](repeating: .nan, count: count)
                        out.withUnsafeMutableBufferPointer { WidenRow.widen(w, start: row * k + first, count: count, into: $0.baseAddress!) }
                        XCTAssertEqual(out, (0..<count).map { w.element(row * k + first + $0) }, "\(dtype) k \(k) row \(row) from \(first)")
                    }
                }
            }
        }
    }

    /// Values on a group's grid (extreme codes present) come back exactly.
    func testValuesOnTheGridRoundTripExactly() {
        var random = SplitMix64(seed: 4)
        let k = 96, n = 5, scale: Float = 0.0234375, minimum: Float = -0.1875  // both bf16
        // int8, one scale per row: codes −127…127 with 127 in every row.
        let int8Values = (0..<(n * k)).map { i -> Float in
            let code = i % k == 0 ? 127 : Int(random.next() % 255) - 127
            return Float(code) * scale
        }
        let int8 = TensorView.quantized(int8Values, shape: [n, k], dtype: .int8)
        XCTAssertEqual((0..<(n * k)).map(int8.element), int8Values)
        // q4, groups of 32: codes 0…15 with 0 and 15 in every group.
        let int4Values = (0..<(n * k)).map { i -> Float in
            let code = i % 32 == 0 ? 0 : i % 32 == 1 ? 15 : Int(random.next() % 16)
            return Float(code) * scale + minimum
        }
        let int4 = TensorView.quantized(int4Values, shape: [n, k], dtype: .int4, groupSize: 32)
        XCTAssertEqual((0..<(n * k)).map(int4.element), int4Values)
    }

    /// Any value is within 0.75 of its group's step: half a step of rounding plus the clipping
    /// that rounding the scale to bf16 can cause at the group's edge.
    func testErrorStaysWithinTheSchemesBound() {
        for dtype in DType.quantizedCases {
            for offset in WeightQuantizer.Int4Offset.allCases where dtype == .int4 || offset == .minimum {
                for (k, group) in shapes {
                    let values = TestSupport.randomValues(4 * k, seed: UInt64(k + 5), scale: 3)
                    let w = TensorView.quantized(values, shape: [4, k], dtype: dtype, groupSize: group, int4Offset: offset)
                    let q = w.quantization!, groups = q.groups(k: k)
                    for i in values.indices {
                        let step = HalfPrecision.float(fromBFloat16: q.scales[(i / k) * groups + (i % k) / q.groupSize])
                        XCTAssertLessThanOrEqual(abs(w.element(i) - values[i]), 0.75 * step + 1e-7,
                                                 "\(dtype) \(offset) k \(k) element \(i)")
                    }
                }
            }
        }
    }

    func testKernelPathResolution() {
        let none = CPUFeatures()
        XCTAssertEqual(KernelPath.resolve(requested: nil, features: none).path, .portable)
        XCTAssertEqual(KernelPath.resolve(requested: "avx512", features: none).path, .portable)
        XCTAssertNotNil(KernelPath.resolve(requested: "avx512", features: none).note)
        XCTAssertNotNil(KernelPath.resolve(requested: "fastest", features: none).note)
        let zen4: CPUFeatures = [.avx2, .fma, .avx512f, .avx512bw, .avx512vl, .avx512BF16, .avx512VNNI]
        XCTAssertEqual(KernelPath.resolve(requested: nil, features: zen4).path, .vnni)
        XCTAssertEqual(KernelPath.resolve(requested: "AVX2", features: zen4).path, .avx2)
        let amx = KernelPath.resolve(requested: "amx", features: zen4)
        XCTAssertEqual(amx.path, .vnni)
        XCTAssertTrue(amx.note?.contains("lacks") ?? false)
        XCTAssertTrue(KernelPath.amx.isAvailable(on: zen4.union([.amxTile, .amxBF16])))
        XCTAssertFalse(KernelPath.amx.isAvailable(on: zen4.union([.amxBF16])), "AMX without the tile state (permission refused)")
        // An Intel client CPU (Alder Lake on): AVX-VNNI without AVX-512.
        let client: CPUFeatures = [.avx2, .fma, .avxVNNI]
        XCTAssertEqual(KernelPath.resolve(requested: nil, features: client).path, .avxvnni)
        XCTAssertEqual(KernelPath.resolve(requested: "vnni", features: client).path, .avxvnni)
        XCTAssertEqual(KernelPath.resolve(requested: "avxvnni", features: zen4).path, .avx2, "Zen 4 has no AVX-VNNI")
        XCTAssertEqual(KernelPath.available(on: zen4), [.portable, .avx2, .avx512, .bf16, .vnni])
        XCTAssertTrue(KernelPath.selected.isAvailable())
    }
}
