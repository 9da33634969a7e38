import CKernels
import Foundation
import Tensors

/// An opt-in product for bf16 weights that also rounds the activations to bf16 and runs on the
/// CPU's bf16 dot-product instruction (AVX512_BF16 `vdpbf16ps`, twice the multiply-adds of an fp32
/// FMA): `out[T, N] = bf16(x)[T, K] · Wᵀ` with fp32 accumulation — the arithmetic of llama.cpp's
/// and PyTorch's bf16 paths. `MatMul` keeps fp32 activations; this trades their precision
/// (8 significant bits) for speed.
///
/// Activations are rounded (nearest even) and packed once per call in tiles of 8 rows; then each
/// thread packs its weights 32 output columns × `depthBlock` pairs of k at a time into a panel of
/// (W[n, k], W[n, k+1]) pairs and runs an 8 × 32 micro-kernel (16 fp32 accumulators) over it. Each
/// output is one fp32 accumulation in k order by one thread, so results depend neither on the
/// thread count nor on which rows share a tile. Without the instruction, `multiplyPortable` runs;
/// on CPUs with AMX tiles (`KernelPath.usesAMXBFloat16`), `AMXBFloat16MatMul` runs instead.
public enum BFloat16DotMatMul {
    /// Pairs of k per weight panel: 32 columns × 512 pairs × 4 bytes = 64 KB, resident in L2.
    static let depthBlock = 512
    static let rowTile = Int(MINIMAX_BF16_ROWS)
    static let columnTile = Int(MINIMAX_BF16_COLUMNS)

    /// Whether the fast path runs: an x86-64 CPU (and OS) with AVX-512 and AVX512_BF16, and a
    /// kernel path (`KernelPath.selected`) of `bf16` or above.
    public static var isAvailable: Bool { KernelPath.selected.usesBFloat16Dot }

    /// Whether `MatMul` sends the tiled rows of products with int8/q4 weights here (their weights
    /// dequantized to bf16 a block at a time, `BFloat16Rows`) under `--precision bf16`: where the
    /// CPU has `vdpbf16ps` or AMX bf16 tiles (the portable twin would be slower than the fp32
    /// tiled kernel), unless `MINIMAX_QUANTIZED_TILED_BF16=0`.
    public static var takesQuantizedTiledRows: Bool {
        quantizedTiledRows != .never && (isAvailable || AMXBFloat16MatMul.isAvailable)
    }

    /// The same under `--precision int8`, whose integer kernels are the alternative: where the CPU
    /// has AMX bf16 tiles (there the tiles ran bf16 prefill at 3.1–3.3× `vdpbf16ps`, whose rate
    /// VNNI's int8 product about matches). On AMD Zen 4 (`vdpbf16ps`, no AMX) the integer kernels
    /// ran int8-all prefill at 1.09–1.19× the bf16 route and q4-all within noise of it.
    /// `MINIMAX_QUANTIZED_TILED_BF16=1` sends them here wherever `takesQuantizedTiledRows`.
    public static var takesQuantizedTiledRowsUnderInt8: Bool {
        takesQuantizedTiledRows && (quantizedTiledRows == .always || AMXBFloat16MatMul.isAvailable)
    }

    /// `MINIMAX_QUANTIZED_TILED_BF16`: 0 never, 1 always (where a bf16 kernel exists), else by CPU.
    enum QuantizedTiledRows { case never, always, byCPU }

    /// (A variable so that tests can run every route on any CPU.)
    nonisolated(unsafe) static var quantizedTiledRows: QuantizedTiledRows = {
        switch ProcessInfo.processInfo.environment["MINIMAX_QUANTIZED_TILED_BF16"] {
        case "0": .never
        case "1": .always
        default: .byCPU
        }
    }()

    /// out[T, N] = bf16(x)[T, K] · Wᵀ for bf16 `weight: [N, K]`. `parallel: false` keeps the work on
    /// the calling thread.
    public static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool = true
    ) {
        precondition(weight.shape.count == 2, "BFloat16DotMatMul weight must be 2-D, got \(weight.shape)")
        precondition(BFloat16Rows.accepts(weight), "BFloat16DotMatMul needs bf16 or int8/q4 weights, got \(weight.dtype)")
        let n = weight.shape[0], k = weight.shape[1]
        guard rows > 0, n > 0 else { return }
        guard k > 0 else {
            out.initialize(repeating: 0, count: rows * n)
            return
        }
        multiplySharingInput(x, rows: rows, k: k, parallel: parallel) { product in product(weight, out) }
    }

    /// The product for several bf16 weights [N_i, K] of the same x, which is rounded and packed once
    /// for AMX tiles, `vdpbf16ps` or the portable path (`multiplyPortable`'s arithmetic), the best
    /// this CPU has: `products` calls its argument once per (weight, out). `multiply` is this with
    /// one weight, so each out is bit for bit what `multiply` gives it.
    static func multiplySharingInput(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, parallel: Bool,
        _ products: ((TensorView, UnsafeMutablePointer<Float>) -> Void) -> Void
    ) {
        precondition(rows > 0 && k > 0, "BFloat16DotMatMul: shared input of \(rows) × \(k)")
        if AMXBFloat16MatMul.isAvailable {
            AMXBFloat16MatMul.withActivations(x, rows: rows, k: k, parallel: parallel, tiles: AMXTiles.standard) { product in
                withoutActuallyEscaping(product) { product in products { weight, out in product(weight, out) } }
            }
        } else if isAvailable {
            let pairs = (k + 1) / 2, tiles = (rows + rowTile - 1) / rowTile
            // packed: [tiles, pairs, 8] words
            ScratchMemory.withBuffer(of: UInt32.self, count: tiles * pairs * rowTile) { packed in
                packActivations(x, rows: rows, k: k, into: packed, parallel: parallel)
                products { weight, out in
                    multiplyPacked(packed, rows: rows, pairs: pairs, weight: weight, into: out, parallel: parallel)
                }
            }
        } else {
            // rounded: [T, K]
            ScratchMemory.withFloats(rows * k) { rounded in
                round(x, count: rows * k, into: rounded)
                products { weight, out in
                    // Quantized weights as the kernels above see them: dequantized and rounded to bf16.
                    let weight = weight.dtype.isQuantized ? BFloat16Rows.dequantized(weight) : weight
                    PackedMatMul.multiply(rounded, rows: rows, weight: weight, into: out, parallel: parallel)
                }
            }
        }
    }

    /// packed[t / 8, p, t % 8] = (bf16 x[t, 2p], bf16 x[t, 2p + 1]), split by row tiles over threads.
    static func packActivations(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, into packed: UnsafeMutablePointer<UInt32>, parallel: Bool
    ) {
        let pairs = (k + 1) / 2
        let tiles = (rows + rowTile - 1) / rowTile
        let xAddress = UnsafeRawPointer(x), packedAddress = UnsafeMutableRawPointer(packed)
        // ~64k elements per task before a thread is worth starting.
        let grain = parallel ? max(1, 65536 / (rowTile * k)) : tiles
        Parallel.forEachRange(tiles, grain: grain) { range in
            let first = range.lowerBound * rowTile, count = min(range.upperBound * rowTile, rows) - first
            minimax_bf16_pack_activations(
                xAddress.assumingMemoryBound(to: Float.self) + first * k, count, k,
                packedAddress.assumingMemoryBound(to: UInt32.self) + first * pairs)
        }
    }

    /// out[T, N] = packed[T, P] · Wᵀ, threads splitting the 32-column blocks (bf16 weights read in
    /// place, int8/q4 ones as `BFloat16Rows` a block at a time).
    static func multiplyPacked(
        _ packed: UnsafePointer<UInt32>, rows: Int, pairs: Int, weight: TensorView,
        into out: UnsafeMutablePointer<Float>, parallel: Bool
    ) {
        let n = weight.shape[0], k = weight.shape[1]
        let columnBlocks = (n + columnTile - 1) / columnTile
        let packedAddress = UnsafeRawPointer(packed), outAddress = UnsafeMutableRawPointer(out)
        let inPlace = weight.dtype == .bfloat16
        Parallel.forEachRange(columnBlocks, grain: parallel ? 1 : columnBlocks) { blocks in
            let packed = packedAddress.assumingMemoryBound(to: UInt32.self)
            let out = outAddress.assumingMemoryBound(to: Float.self)
            // panel: [depthBlock, 32] words
            ScratchMemory.withBuffer(of: UInt32.self, count: depthBlock * columnTile) { panel in
            for block in blocks {
                let n0 = block * columnTile, width = min(columnTile, n - n0)
                BFloat16Rows.forEachChunk(of: weight, first: n0, count: width, chunkRows: columnTile) { w, _, _ in  // w: [width, K] bf16
                var p0 = 0
                while p0 < pairs {
                    let depth = min(depthBlock, pairs - p0)
                    minimax_bf16_pack_panel(w, k, width, p0, depth, panel)
                    // While this panel's products run, fetch the weight rows of the next one in
                    // this task (bf16 weights stream from memory once per call; packing them
                    // straight from DRAM stalled on every line).
                    var next = minimax_prefetch_rows()
                    if inPlace && p0 + depth < pairs {
                        let nextDepth = min(depthBlock, pairs - p0 - depth)
                        next = minimax_prefetch_rows(base: w + 2 * (p0 + depth), stride: 2 * k,
                                                     rows: width, bytes: min(4 * nextDepth, 2 * (k - 2 * (p0 + depth))))
                    } else if inPlace && block + 1 < blocks.upperBound {
                        let nextFirst = n0 + columnTile
                        next = minimax_prefetch_rows(base: w + columnTile * k, stride: 2 * k,
                                                     rows: min(columnTile, n - nextFirst), bytes: min(4 * depthBlock, 2 * k))
                    }
                    minimax_bf16_dot_panel_prefetching(
                        packed + p0 * rowTile, pairs, rows, panel, depth, out + n0, n, width, p0 > 0 ? 1 : 0, &next)
                    p0 += depth
                }
                }
            }
            }
        }
    }

    /// The portable path (no AVX512_BF16): activations rounded to bf16, then the tiled fp32 product
    /// over the bf16 weights (int8/q4 weights dequantized and rounded to bf16 first: allocates). The same products as the fast path, accumulated in another order.
    public static func multiplyPortable(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool = true
    ) {
        let k = weight.shape[1]
        // Quantized weights as the fast path sees them: dequantized and rounded to bf16.
        let weight = weight.dtype.isQuantized ? BFloat16Rows.dequantized(weight) : weight
        // rounded: [T, K]
        ScratchMemory.withFloats(rows * k) { rounded in
            round(x, count: rows * k, into: rounded)
            PackedMatMul.multiply(rounded, rows: rows, weight: weight, into: out, parallel: parallel)
        }
    }

    /// rounded[i] = bf16(x[i]) as fp32, i < count.
    static func round(_ x: UnsafePointer<Float>, count: Int, into rounded: UnsafeMutablePointer<Float>) {
        for i in 0..<count { rounded[i] = roundToBFloat16(x[i]) }
    }

    /// bits[i] = bf16(x[i]), i < count.
    public static func round(_ x: UnsafePointer<Float>, count: Int, intoBits bits: UnsafeMutablePointer<UInt16>) {
        minimax_narrow_bf16(x, bits, count)
    }

    /// The fp32 matrix `p: [rows, cols]` (scratch memory: an attention operand) as the weight of a
    /// product: itself, or, given `bits` (rows · cols of them), rounded to bf16 there, so that under
    /// rounded activations (`MatMulPrecision.bfloat16`) both operands meet on the bf16 kernels.
    public static func weightOperand(
        _ p: UnsafePointer<Float>, rows: Int, cols: Int, roundingInto bits: UnsafeMutablePointer<UInt16>?
    ) -> TensorView {
        guard let bits else { return TensorView(dtype: .float32, shape: [rows, cols], base: UnsafeRawPointer(p), owner: nil) }
        round(p, count: rows * cols, intoBits: bits)
        return TensorView(dtype: .bfloat16, shape: [rows, cols], base: UnsafeRawPointer(bits), owner: nil)
    }

    /// `x` rounded to the nearest bf16 (ties to even), as `vcvtneps2bf16` does; NaN stays NaN.
    @inline(__always)
    public static func roundToBFloat16(_ x: Float) -> Float {
        HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(from: x))
    }
}
