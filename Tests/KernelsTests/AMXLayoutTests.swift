import CKernels
@testable import Kernels
import Tensors
import TestSupport
import XCTest

/// `AMXBFloat16MatMul.Layout`: the activations as the tiles' A operand (weights packed into B panels,
/// C tiles stored straight into the output) give the bits of the weights-as-A layout on the tile
/// model — K padding, partial 16- and 32-row blocks and output blocks, several activation chunks,
/// one thread or several — and stay within the reference's tolerance on the instructions.
extension BFloat16DotMatMulTests {
    func amxProduct(_ x: [Float], rows: Int, _ w: TensorView, tiles: AMXTiles, layout: AMXBFloat16MatMul.Layout,
                    parallel: Bool = true) -> [Float] {
        TestSupport.product(x, outputs: rows * w.shape[0]) { xp, op in
            AMXBFloat16MatMul.withActivations(xp, rows: rows, k: w.shape[1], parallel: parallel, tiles: tiles, layout: layout) { product in
                product(w, op)
            }
        }
    }

    /// Shapes with several 512 KB activation chunks besides `amxShapes`: K = 4096 gives 64-row chunks.
    var amxLayoutShapes: [(Int, Int, Int)] { amxShapes + [(100, 4096, 40), (70, 64, 129)] }

    func testAMXLayoutsGiveTheSameBitsOnTheTileModel() {
        for (t, k, n) in amxLayoutShapes {
            let (x, w) = inputs(t, k, n)
            let weightsA = amxProduct(x, rows: t, w, tiles: .model, layout: .weightsA)
            XCTAssertEqual(amxProduct(x, rows: t, w, tiles: .model, layout: .activationsA), weightsA, "T=\(t) K=\(k) N=\(n)")
            XCTAssertEqual(amxProduct(x, rows: t, w, tiles: .model, layout: .byDepth), weightsA, "by depth T=\(t) K=\(k) N=\(n)")
            XCTAssertEqual(amxProduct(x, rows: t, w, tiles: .model, layout: .activationsA, parallel: false), weightsA,
                           "one thread T=\(t) K=\(k) N=\(n)")
        }
    }

    func testAMXActivationsALayoutOnTheInstructions() throws {
        try XCTSkipUnless(AMXBFloat16MatMul.isAvailable, "no AMX tiles here (cpu features: \(CPUFeatures.detected); kernel path \(KernelPath.selected)): only the tile model ran")
        for (t, k, n) in amxLayoutShapes + [(100, 2048, 300)] {
            let (x, w) = inputs(t, k, n)
            let ref = reference(x, rows: t, w), scale = absoluteScale(x, rows: t, w)
            let hardware = amxProduct(x, rows: t, w, tiles: .hardware, layout: .activationsA)
            assertRowsClose(hardware, ref, scale: scale, n: n, tolerance: amxTolerance(k), "activations-a tiles T=\(t) K=\(k) N=\(n)")
            assertRowsClose(hardware, amxProduct(x, rows: t, w, tiles: .hardware, layout: .weightsA), scale: scale, n: n,
                            tolerance: amxTolerance(k), "activations-a vs weights-a tiles T=\(t) K=\(k) N=\(n)")
        }
    }

    /// The B panels packed by the AVX-512 packer (the instructions' path) and one word at a time (the
    /// model's): the same words, for partial 16- and 32-row blocks, odd K and K past a multiple of 32.
    func testAMXWeightPanelsAreTheSameOnAVX512() throws {
        try XCTSkipUnless(BFloat16DotMatMul.isAvailable, "no AVX512_BF16 here (or MINIMAX_KERNEL=\(KernelPath.selected)): the vectorized packing does not run")
        for (n, k, first) in [(1, 1, 0), (40, 31, 0), (70, 33, 32), (33, 100, 0), (64, 1025, 32), (96, 64, 0)] {
            let w = TensorView.owned(TestSupport.randomValues(n * k, seed: UInt64(n * 7 + k)), shape: [n, k], dtype: .bfloat16)
            let count = n - first, words = minimax_amx_bf16_panel_words(count, k)
            let bytes = words * 4
            let portable = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            let vectorized = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            defer { portable.deallocate(); vectorized.deallocate() }
            portable.initializeMemory(as: UInt8.self, repeating: 0xAB, count: bytes)
            vectorized.initializeMemory(as: UInt8.self, repeating: 0xCD, count: bytes)
            let codes = w.base.assumingMemoryBound(to: UInt16.self)
            minimax_amx_bf16_pack_weights(codes, k, first, count, portable.assumingMemoryBound(to: UInt32.self), 0)
            minimax_amx_bf16_pack_weights(codes, k, first, count, vectorized.assumingMemoryBound(to: UInt32.self), 1)
            XCTAssertEqual(memcmp(portable, vectorized, bytes), 0, "N=\(n) K=\(k) first=\(first)")
            // Word (p, j) of block 0 is the pair (w[first + j, 2p], w[first + j, 2p + 1]).
            let word = portable.assumingMemoryBound(to: UInt32.self)[0]
            XCTAssertEqual(word & 0xFFFF, UInt32(codes[first * k]), "N=\(n) K=\(k): first word")
        }
    }

    func testAMXLayoutNamesParse() {
        XCTAssertEqual(AMXBFloat16MatMul.Layout(rawValue: "weights-a"), .weightsA)
        XCTAssertEqual(AMXBFloat16MatMul.Layout(rawValue: "activations-a"), .activationsA)
        XCTAssertEqual(AMXBFloat16MatMul.Layout(rawValue: "by-depth"), .byDepth)
        XCTAssertNil(AMXBFloat16MatMul.Layout(rawValue: "transposed"))
        // By depth: the attention's products (K ≤ 256) take activations-a, the weight products weights-a.
        XCTAssertEqual(AMXBFloat16MatMul.Layout.byDepth.resolved(k: 64), .activationsA)
        XCTAssertEqual(AMXBFloat16MatMul.Layout.byDepth.resolved(k: 256), .activationsA)
        XCTAssertEqual(AMXBFloat16MatMul.Layout.byDepth.resolved(k: 1024), .weightsA)
        XCTAssertEqual(AMXBFloat16MatMul.Layout.weightsA.resolved(k: 64), .weightsA)
    }
}
