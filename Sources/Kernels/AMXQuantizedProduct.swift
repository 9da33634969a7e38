import CKernels
import Tensors

/// The `--precision int8` product of int8 / q4 weights on Intel AMX tiles (`tdpbssd`, 16 × 16 × 64
/// int8 multiply-adds per instruction): the activations quantized per block of 32 exactly as
/// `QuantizedActivations` does (same codes, scales and sums), each block's integer dots computed
/// exactly on the tiles, then scaled and summed in fp32 per output in block order. The VNNI kernels
/// sum the same terms in another order (16 lanes of blocks, then the lanes), so the two agree to
/// fp32 rounding, not bit for bit; `MatMul` therefore sends only tiled (prefill) rows here, as it
/// does for the bf16 tiles, and each output still depends on nothing else in the call.
///
/// Weights are the A operand: int8 codes read in place (K a multiple of 32), q4 codes unpacked to
/// bytes per chunk of rows in scratch. Threads split the weight rows in 32-row blocks.
/// `AMXTiles.model` runs the kernel code on the software model of the tiles.
public enum AMXQuantizedProduct {
    /// Whether the tiles can run this product here: AMX_TILE and AMX_INT8 granted by the OS, a
    /// kernel path (`KernelPath.selected`) of `amx`, and the instructions agree with the tile model.
    public static var isAvailable: Bool { AMXTiles.simulated || (KernelPath.selected.canUseAMXInt8 && tilesAgree) }

    /// Whether `MatMul` sends tiled int8-activation rows here: available and asked for
    /// (`KernelPath.usesAMXInt8`, `MINIMAX_AMX_INT8=1`), or simulated.
    public static var isChosen: Bool { AMXTiles.simulated || (KernelPath.selected.usesAMXInt8 && isAvailable) }

    /// The instructions agree with the tile model for int8 and q4 weights (`AMXTiles.selfCheck`, once).
    private static let tilesAgree = [DType.int8, .int4].allSatisfy { dtype in
        AMXTiles.selfCheck("int8 (\(dtype) weights)", dtype: dtype) { tiles, x, rows, weight, out in
            multiply(x, rows: rows, weight: weight, into: out, parallel: false, tiles: tiles)
        }
    }

    /// out[T, N] = quantized(x[T, K]) · Wᵀ for an int8 / int4 `weight: [N, K]`.
    public static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool = true, tiles requested: AMXTiles? = nil
    ) {
        precondition(weight.shape.count == 2 && weight.dtype.isQuantized, "AMX int8 product needs 2-D int8/int4 weights, got \(weight.dtype) \(weight.shape)")
        let tiles = requested ?? AMXTiles.standard
        precondition(tiles == .model || KernelPath.selected.canUseAMXInt8, "AMX int8 tiles are not available here (\(CPUFeatures.detected))")
        let n = weight.shape[0], k = weight.shape[1]
        guard rows > 0, n > 0 else { return }
        // packed: ⌈T/32⌉ · 2 tiles of 16 rows (codes, d, Σx per block)
        ScratchMemory.withBuffer(of: UInt8.self, count: minimax_amx_q8_packed_bytes(rows, k)) { packed in
            packActivations(x, rows: rows, k: k, into: packed, parallel: parallel)
            multiplyPacked(packed, rows: rows, weight: weight, into: out, parallel: parallel, tiles: tiles)
        }
    }

    /// Threads split 32-row blocks of activations.
    static func packActivations(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, into packed: UnsafeMutablePointer<UInt8>, parallel: Bool
    ) {
        AMXTiles.layOutActivationBlocks(x, rows: rows, k: k, into: packed, blockElements: minimax_amx_q8_packed_bytes(32, k),
                                        parallel: parallel) { x, count, dst in
            minimax_amx_q8_pack_activations(x, count, k, dst)
        }
    }

    /// out[T, N] = packed · Wᵀ, threads splitting the 32-row weight blocks.
    static func multiplyPacked(
        _ packed: UnsafePointer<UInt8>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool, tiles: AMXTiles
    ) {
        let n = weight.shape[0], k = weight.shape[1], q = weight.quantization!
        let q4: Int32 = weight.dtype == .int4 ? 1 : 0
        let packedAddress = UnsafeRawPointer(packed), outAddress = UnsafeMutableRawPointer(out)
        // scratch: [chunk rows, 32 · ⌈K/32⌉] bytes
        let scratchCount = minimax_amx_q8_chunk_rows(k) * ((k + 31) / 32 * 32)
        AMXTiles.forEachWeightBlock(n: n, parallel: parallel, scratch: Int8.self, count: scratchCount) { first, count, scratch in
            minimax_amx_q8_product(
                packedAddress.assumingMemoryBound(to: UInt8.self), rows, k, weight.base, q4, q.scales, q.minimums,
                q.groupSize, first, count, outAddress.assumingMemoryBound(to: Float.self), n, scratch, tiles.code)
        }
    }

    /// Integer operations of one `runPeakLoop` iteration: four 16 × 16 × 64 tile products.
    public static let peakLoopOperationsPerIteration = 4 * 16 * 16 * 64 * 2

    /// `iterations` × four register-only `tdpbssd` on the calling thread. AMX hardware only.
    public static func runPeakLoop(iterations: Int) {
        precondition(KernelPath.selected.canUseAMXInt8, "AMX int8 tiles are not available here")
        minimax_amx_int8_peak_loop(iterations)
    }
}
