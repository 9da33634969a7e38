import CKernels
@testable import Kernels
import Tensors
import TestSupport
import XCTest

/// `AMXBFloat16MatMul` against the bf16 reference. The software model of the tiles runs the
/// kernel's own code on every CPU (layouts, 32-row blocks, K padding, weight chunks, row tails);
/// the AMX instructions run where the CPU has them and are held to the same reference and model.
extension BFloat16DotMatMulTests {
    /// (T, K, N): rows 1, 5, 17, 33, 64; K below, at and past 32 (padding copies), and long enough
    /// that a chunk is one 32-row block (K = 16384, 16000); N partial and whole blocks, several chunks.
    var amxShapes: [(Int, Int, Int)] {
        [(1, 1, 1), (5, 31, 33), (17, 32, 32), (33, 64, 95), (64, 100, 31), (2, 1023, 65), (3, 16384, 70), (1, 16000, 40)]
    }

    /// One sequential fp32 sum per output: its rounding error grows like √K (1.3e-6 seen at K = 16384).
    func amxTolerance(_ k: Int) -> Double { k > 4096 ? 4e-6 : 1e-6 }

    func amxProduct(_ x: [Float], rows: Int, _ w: TensorView, tiles: AMXTiles, parallel: Bool = true) -> [Float] {
        TestSupport.product(x, outputs: rows * w.shape[0]) {
            AMXBFloat16MatMul.multiply($0, rows: rows, weight: w, into: $1, parallel: parallel, tiles: tiles)
        }
    }

    func testAMXTileModelMatchesReference() {
        for (t, k, n) in amxShapes {
            let (x, w) = inputs(t, k, n)
            let ref = reference(x, rows: t, w), scale = absoluteScale(x, rows: t, w)
            assertRowsClose(amxProduct(x, rows: t, w, tiles: .model), ref, scale: scale, n: n, tolerance: amxTolerance(k),
                            "model tiles T=\(t) K=\(k) N=\(n)")
        }
    }

    /// A row's outputs are the same bits alone, in any batch, and on one thread or several.
    func testAMXResultsDoNotDependOnBatchOrThreads() {
        let (t, k, n) = (37, 200, 70)
        let (x, w) = inputs(t, k, n)
        let all = amxProduct(x, rows: t, w, tiles: .model)
        XCTAssertEqual(amxProduct(x, rows: t, w, tiles: .model, parallel: false), all)
        for r in [0, 15, 16, 31, 32, 36] {
            XCTAssertEqual(amxProduct(Array(x[(r * k)..<((r + 1) * k)]), rows: 1, w, tiles: .model),
                           Array(all[(r * n)..<((r + 1) * n)]), "row \(r)")
        }
    }

    func testAMXPackingIsTheSameOnAVX512() throws {
        try XCTSkipUnless(BFloat16DotMatMul.isAvailable, "no AVX512_BF16 here (or MINIMAX_KERNEL=\(KernelPath.selected)): the vectorized packing does not run")
        for (t, k) in [(1, 1), (5, 31), (17, 33), (40, 100), (3, 1025)] {
            var x = TestSupport.randomValues(t * k, seed: UInt64(t * 31 + k))
            x[0] = .nan
            if x.count > 1 { x[1] = 1 + 1.0 / 256 }  // a tie between two bf16 values
            let words = minimax_amx_bf16_packed_words(t, k)
            var portable = [UInt32](repeating: 0xDEAD, count: words), vectorized = [UInt32](repeating: 0xBEEF, count: words)
            minimax_amx_bf16_pack_activations(x, t, k, &portable)
            minimax_amx_bf16_pack_activations_avx512(x, t, k, &vectorized)
            XCTAssertEqual(vectorized, portable, "T=\(t) K=\(k)")
        }
    }

    func testAMXTilesMatchReferenceAndModel() throws {
        try XCTSkipUnless(AMXBFloat16MatMul.isAvailable, "no AMX tiles here (cpu features: \(CPUFeatures.detected); kernel path \(KernelPath.selected)): only the tile model ran")
        for (t, k, n) in amxShapes + [(100, 2048, 300)] {
            let (x, w) = inputs(t, k, n)
            let ref = reference(x, rows: t, w), scale = absoluteScale(x, rows: t, w)
            let hardware = amxProduct(x, rows: t, w, tiles: .hardware)
            assertRowsClose(hardware, ref, scale: scale, n: n, tolerance: amxTolerance(k), "amx tiles T=\(t) K=\(k) N=\(n)")
            if t * k * n < 1 << 24 {
                assertRowsClose(hardware, amxProduct(x, rows: t, w, tiles: .model), scale: scale, n: n, tolerance: amxTolerance(k),
                                "amx tiles vs model T=\(t) K=\(k) N=\(n)")
            }
        }
    }
}

/// The first-use check that keeps AMX instructions off where they disagree with the tile model.
final class AMXSelfCheckTests: XCTestCase {
    func testAgreementPassesAndDisagreementTurnsTheTilesOff() {
        // The model standing in for the instructions: exact, one output off by about 1 %, or a NaN.
        func check(_ change: @escaping (UnsafeMutablePointer<Float>) -> Void) -> Bool {
            AMXTiles.selfCheck("test", dtype: .bfloat16) { tiles, x, rows, weight, out in
                AMXBFloat16MatMul.multiply(x, rows: rows, weight: weight, into: out, parallel: false, tiles: .model)
                if tiles == .hardware { change(out) }
            }
        }
        XCTAssertTrue(check { _ in })
        XCTAssertFalse(check { $0[0] += 0.01 * abs($0[0]) + 0.01 })
        XCTAssertFalse(check { $0[5] = .nan })
    }

    /// Where the CPU has the tiles, they passed their check (else they would be off).
    func testTilesThatRunPassedTheirCheck() throws {
        try XCTSkipUnless(KernelPath.selected.usesAMXBFloat16 || KernelPath.selected.canUseAMXInt8, "no AMX tiles here (cpu features: \(CPUFeatures.detected))")
        XCTAssertEqual(AMXBFloat16MatMul.isAvailable, KernelPath.selected.usesAMXBFloat16, "the bf16 tiles failed their self-check")
        XCTAssertEqual(AMXQuantizedProduct.isAvailable, KernelPath.selected.canUseAMXInt8, "the int8 tiles failed their self-check")
    }
}
