import CKernels
import Foundation
import Tensors

/// The `--precision bf16` product on Intel AMX tiles (`tdpbf16ps`, a 16 × 16 × 32 block of bf16
/// multiply-adds per instruction): `out[T, N] = bf16(x)[T, K] · Wᵀ` with fp32 sums, as
/// `BFloat16DotMatMul` computes it on `vdpbf16ps`.
///
/// The weights are the tiles' A operand, read in place from the checkpoint's `[N, K]` bf16 rows (K
/// a multiple of 32; otherwise each thread copies them, zero-padded, into scratch; int8/q4 weights
/// are dequantized to bf16 a chunk of rows at a time, `BFloat16Rows`); the activations
/// are rounded and packed once per call into 16-row tiles of bf16 pairs, the B operand. Threads
/// split the weight rows in 32-row blocks; each runs 2 × 2 output tiles (32 weight rows × 32
/// activation rows) over the whole of K, so an output's sum does not depend on the thread count or
/// on the other rows in the call.
///
/// `AMXTiles.model` runs the same kernel code on a software model of the tile registers: the tests
/// check the layouts and tails with it on every CPU, and hold the instructions to it where AMX exists.
public enum AMXBFloat16MatMul {
    /// Whether `BFloat16DotMatMul` runs here: a CPU with AMX_TILE and AMX_BF16 whose OS granted the
    /// tile state, and a kernel path (`KernelPath.selected`) of `amx`.
    public static var isAvailable: Bool { AMXTiles.simulated || (KernelPath.selected.usesAMXBFloat16 && tilesAgree) }

    /// The instructions agree with the tile model (`AMXTiles.selfCheck`, once).
    private static let tilesAgree = AMXTiles.selfCheck("bf16", dtype: .bfloat16) { tiles, x, rows, weight, out in
        multiply(x, rows: rows, weight: weight, into: out, parallel: false, tiles: tiles)
    }

    /// out[T, N] = bf16(x)[T, K] · Wᵀ for bf16 `weight: [N, K]`.
    public static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool = true, tiles requested: AMXTiles? = nil, layout: Layout = .selected
    ) {
        precondition(weight.shape.count == 2 && BFloat16Rows.accepts(weight), "AMX product needs 2-D bf16 or int8/q4 weights, got \(weight.dtype) \(weight.shape)")
        let tiles = requested ?? AMXTiles.standard
        precondition(tiles == .model || KernelPath.selected.usesAMXBFloat16, "AMX tiles are not available here (\(CPUFeatures.detected))")
        let n = weight.shape[0], k = weight.shape[1]
        guard rows > 0, n > 0 else { return }
        guard k > 0 else {
            out.initialize(repeating: 0, count: rows * n)
            return
        }
        withActivations(x, rows: rows, k: k, parallel: parallel, tiles: tiles, layout: layout) { product in product(weight, out) }
    }

    /// Which operand of the tiles the activations are. Both give the same bits; which is faster is
    /// for an AMX machine to say (`minimax bench-kernels --amx-parts` times both).
    public enum Layout: String, CaseIterable, Sendable {
        /// Weights as the A operand, read in place; activations packed into B tiles; C tiles
        /// (weights × activations) copied into out transposed.
        case weightsA = "weights-a"
        /// Activations as the A operand, narrowed to bf16 rows read in place; weights packed per
        /// call into B panels; C tiles (activations × weights) stored straight into out.
        case activationsA = "activations-a"
        /// activations-a for products of depth K ≤ `activationsADepth` (the attention's: a K of 64
        /// leaves 2 tile steps per 32 × 32 block, whose transposing copy then dominates; softmax
        /// attention measured 1.2× faster so in 12 of 12 whole-model rounds), weights-a above (the
        /// weight products, where activations-a measured 0.84–0.93× in `bench-kernels`). The default.
        case byDepth = "by-depth"

        static let activationsADepth = 256

        /// The layout a product of depth k runs in.
        func resolved(k: Int) -> Layout {
            self == .byDepth ? (k <= Self.activationsADepth ? .activationsA : .weightsA) : self
        }

        /// `MINIMAX_AMX_BF16_LAYOUT` (weights-a, activations-a or by-depth), else by-depth.
        public static let selected: Layout = {
            guard let value = ProcessInfo.processInfo.environment["MINIMAX_AMX_BF16_LAYOUT"], !value.isEmpty else { return .byDepth }
            guard let layout = Layout(rawValue: value) else {
                FileHandle.standardError.write(Data("minimax: MINIMAX_AMX_BF16_LAYOUT=\(value) is not one of weights-a, activations-a, by-depth; using by-depth\n".utf8))
                return .byDepth
            }
            return layout
        }()
    }

    /// Runs `body` with x [rows, k] rounded to bf16 and laid out once for `layout`'s products:
    /// `body` calls its argument once per (bf16 weight [N, k], out [rows, N]).
    static func withActivations(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, parallel: Bool, tiles: AMXTiles, layout: Layout = .selected,
        _ body: ((TensorView, UnsafeMutablePointer<Float>) -> Void) -> Void
    ) {
        switch layout.resolved(k: k) {
        case .weightsA, .byDepth:
            // packed: [⌈T/32⌉·32 / 16, P, 16] words
            ScratchMemory.withBuffer(of: UInt32.self, count: minimax_amx_bf16_packed_words(rows, k)) { packed in
                packActivations(x, rows: rows, k: k, into: packed, parallel: parallel)
                body { weight, out in multiplyPacked(packed, rows: rows, weight: weight, into: out, parallel: parallel, tiles: tiles) }
            }
        case .activationsA:
            // narrowed: [⌈T/32⌉·32, ⌈k/32⌉·32] bf16
            ScratchMemory.withBuffer(of: UInt16.self, count: minimax_amx_bf16_narrowed_elements(rows, k)) { narrowed in
                narrowActivations(x, rows: rows, k: k, into: narrowed, parallel: parallel)
                body { weight, out in multiplyNarrowed(narrowed, rows: rows, weight: weight, into: out, parallel: parallel, tiles: tiles) }
            }
        }
    }

    /// The narrowed A operand of `Layout.activationsA`, threads splitting 32-row blocks.
    static func narrowActivations(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, into narrowed: UnsafeMutablePointer<UInt16>, parallel: Bool
    ) {
        AMXTiles.layOutActivationBlocks(x, rows: rows, k: k, into: narrowed, blockElements: minimax_amx_bf16_narrowed_elements(32, k),
                                        parallel: parallel) { x, count, dst in
            minimax_amx_bf16_narrow_activations(x, count, k, dst)
        }
    }

    /// out[T, N] = narrowed · Wᵀ (`Layout.activationsA`), threads splitting the 32-row weight blocks,
    /// each packing its own into B panels.
    static func multiplyNarrowed(
        _ narrowed: UnsafePointer<UInt16>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool, tiles: AMXTiles
    ) {
        let n = weight.shape[0], k = weight.shape[1], blocks = (n + 31) / 32
        let narrowedAddress = UnsafeRawPointer(narrowed), outAddress = UnsafeMutableRawPointer(out)
        Parallel.forEachRange(blocks, grain: parallel ? 1 : blocks) { range in
            let first = range.lowerBound * 32, count = min(range.upperBound * 32, n) - first
            let chunkRows = minimax_amx_bf16_chunk_rows(k)
            // panels: [⌈rows/32⌉, ⌈k/32⌉·16, 32] words for at most a chunk of quantized rows
            let panelRows = weight.dtype.isQuantized ? min(count, chunkRows) : count
            ScratchMemory.withBuffer(of: UInt32.self, count: minimax_amx_bf16_panel_words(panelRows, k)) { panels in
                BFloat16Rows.forEachChunk(of: weight, first: first, count: count, chunkRows: chunkRows) { w, start, rowCount in
                    minimax_amx_bf16_product_activations_a(
                        narrowedAddress.assumingMemoryBound(to: UInt16.self), rows, k, w, 0, rowCount,
                        outAddress.assumingMemoryBound(to: Float.self) + start, n, panels, tiles.code)
                }
            }
        }
    }

    /// The packed B operand, threads splitting 32-row blocks of activations.
    static func packActivations(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, into packed: UnsafeMutablePointer<UInt32>, parallel: Bool
    ) {
        let useAVX512 = KernelPath.selected.usesBFloat16Dot
        AMXTiles.layOutActivationBlocks(x, rows: rows, k: k, into: packed, blockElements: minimax_amx_bf16_packed_words(32, k),
                                        parallel: parallel) { x, count, dst in
            if useAVX512 {
                minimax_amx_bf16_pack_activations_avx512(x, count, k, dst)
            } else {
                minimax_amx_bf16_pack_activations(x, count, k, dst)
            }
        }
    }

    /// out[T, N] = packed · Wᵀ, threads splitting the 32-row weight blocks.
    static func multiplyPacked(
        _ packed: UnsafePointer<UInt32>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool, tiles: AMXTiles, probe: AMXProductProbe = .whole
    ) {
        let n = weight.shape[0], k = weight.shape[1], chunkRows = minimax_amx_bf16_chunk_rows(k)
        let packedAddress = UnsafeRawPointer(packed), outAddress = UnsafeMutableRawPointer(out)
        // scratch: [chunk rows, padded K] bf16
        let scratchCount = chunkRows * ((k + 31) / 32 * 32)
        AMXTiles.forEachWeightBlock(n: n, parallel: parallel, scratch: UInt16.self, count: scratchCount) { first, count, scratch in
            BFloat16Rows.forEachChunk(of: weight, first: first, count: count, chunkRows: chunkRows) { w, start, rowCount in
                minimax_amx_bf16_product(
                    packedAddress.assumingMemoryBound(to: UInt32.self), rows, k, w, 0, rowCount,
                    outAddress.assumingMemoryBound(to: Float.self) + start, n, scratch, tiles.code, probe.flags)
            }
        }
    }

    /// `iterations` steps of the products' 2 × 2 tile step loading from `buffer` (`bytes`, A tile
    /// rows `aStride` bytes apart; `minimax_amx_bf16_load_loop`) on the calling thread: timed, how
    /// fast tiles load from the memory level that holds such a buffer. AMX hardware only.
    public static func runLoadLoop(_ buffer: UnsafeRawPointer, bytes: Int, aStride: Int, interleaved: Bool, iterations: Int) {
        precondition(KernelPath.selected.usesAMXBFloat16, "AMX tiles are not available here")
        precondition(bytes >= 64 * aStride + 4096 && aStride >= 64 && aStride % 64 == 0, "AMX load loop: \(bytes) bytes, stride \(aStride)")
        minimax_amx_bf16_load_loop(buffer.assumingMemoryBound(to: UInt8.self), bytes, aStride, interleaved ? 1 : 0, iterations)
    }

    /// Flops of one `runPeakLoop` iteration: four 16 × 16 × 32 tile products.
    public static let peakLoopFlopsPerIteration = 4 * 16 * 16 * 32 * 2

    /// `iterations` × four register-only `tdpbf16ps` on the calling thread: timed, the tile unit's
    /// peak rate. AMX hardware only.
    public static func runPeakLoop(iterations: Int) {
        precondition(KernelPath.selected.usesAMXBFloat16, "AMX tiles are not available here")
        minimax_amx_bf16_peak_loop(iterations)
    }
}
