import CKernels
import Foundation
import Tensors

/// The `--precision bf16` product on Intel AMX tiles (`tdpbf16ps`, a 16 × 16 × 32 block of bf16
/// multiply-adds per instruction): `out[T, N] = bf16(x)[T, K] · Wᵀ` with fp32 sums, as
/// `BFloat16DotMatMul` computes it on `vdpbf16ps`.
///
/// The weights are the tiles' A operand, read in place from the checkpoint's `[N, K]` bf16 rows (K
/// a multiple of 32; otherwise each thread copies them, zero-padded, into scratch); the activations
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
        parallel: Bool = true, tiles requested: AMXTiles? = nil
    ) {
        precondition(weight.shape.count == 2 && weight.dtype == .bfloat16, "AMX product needs 2-D bf16 weights, got \(weight.dtype) \(weight.shape)")
        let tiles = requested ?? AMXTiles.standard
        precondition(tiles == .model || KernelPath.selected.usesAMXBFloat16, "AMX tiles are not available here (\(CPUFeatures.detected))")
        let n = weight.shape[0], k = weight.shape[1]
        guard rows > 0, n > 0 else { return }
        guard k > 0 else {
            out.initialize(repeating: 0, count: rows * n)
            return
        }
        // packed: [⌈T/32⌉·32 / 16, P, 16] words
        ScratchMemory.withBuffer(of: UInt32.self, count: minimax_amx_bf16_packed_words(rows, k)) { packed in
            packActivations(x, rows: rows, k: k, into: packed, parallel: parallel)
            multiplyPacked(packed, rows: rows, weight: weight, into: out, parallel: parallel, tiles: tiles)
        }
    }

    /// The packed B operand, threads splitting 32-row blocks of activations.
    static func packActivations(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, into packed: UnsafeMutablePointer<UInt32>, parallel: Bool
    ) {
        let blockWords = minimax_amx_bf16_packed_words(32, k), useAVX512 = KernelPath.selected.usesBFloat16Dot
        let xAddress = UnsafeRawPointer(x), packedAddress = UnsafeMutableRawPointer(packed)
        AMXTiles.forEachActivationBlock(rows: rows, k: k, parallel: parallel) { first, count, block in
            let x = xAddress.assumingMemoryBound(to: Float.self) + first * k
            let dst = packedAddress.assumingMemoryBound(to: UInt32.self) + block * blockWords
            if useAVX512 {
                minimax_amx_bf16_pack_activations_avx512(x, count, k, dst)
            } else {
                minimax_amx_bf16_pack_activations(x, count, k, dst)
            }
        }
    }

    /// How the kernel walks the caches (a development switch while plans are measured on AMX
    /// machines; `MINIMAX_AMX_BF16_PLAN`): 0, weight chunks in L2 with threads taking 32-row blocks
    /// a few at a time; 1, the same with one share of the weight rows per thread; 2, activations in
    /// L2 with each weight block streaming past once (one share per thread); 3 and 4, plan 2 with K
    /// in runs of 8 or 16 steps (256 / 512 of k); 5 and 6, plans 1 and 2 with each tile load just
    /// before its first use; 7 and 8, plan 3 and 4 with half the token chunk (about 512 KB of
    /// activations) and the next weight slice prefetched into L2; 9, plan 7 without the prefetch.
    /// Every plan gives the same bits.
    public nonisolated(unsafe) static var plan: Int32 = {
        let value = ProcessInfo.processInfo.environment["MINIMAX_AMX_BF16_PLAN"].flatMap { Int32($0) } ?? 0
        return plans.contains(value) ? value : 0
    }()

    public static let plans: ClosedRange<Int32> = 0...9

    /// out[T, N] = packed · Wᵀ, threads splitting the 32-row weight blocks.
    static func multiplyPacked(
        _ packed: UnsafePointer<UInt32>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool, tiles: AMXTiles
    ) {
        let n = weight.shape[0], k = weight.shape[1], plan = self.plan
        let packedAddress = UnsafeRawPointer(packed), outAddress = UnsafeMutableRawPointer(out)
        let w = weight.base.assumingMemoryBound(to: UInt16.self)  // w: [N, K] bf16
        let scratchCount = minimax_amx_bf16_scratch_count(k)
        let body = { (first: Int, count: Int, scratch: UnsafeMutablePointer<UInt16>) in
            minimax_amx_bf16_product(
                packedAddress.assumingMemoryBound(to: UInt32.self), rows, k, w, first, count,
                outAddress.assumingMemoryBound(to: Float.self), n, scratch, plan, tiles.code)
        }
        if plan == 0 {
            AMXTiles.forEachWeightBlock(n: n, parallel: parallel, scratch: UInt16.self, count: scratchCount, body)
        } else {
            AMXTiles.forEachWeightShare(n: n, parallel: parallel, scratch: UInt16.self, count: scratchCount, body)
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
