import CKernels
import Tensors

/// `out[T, N] = x[T, K] · Wᵀ` with `W: [N, K]` stored as fp32, bf16 or fp16 — the shape of every
/// linear layer. No fp32 copy of the weights ever exists. Rows are reduced in one of two orders,
/// each fixed per output whatever else is in the call (so a batch never changes a row's bits):
/// - **row-wise** (`singleRows`): a matrix-vector product per row, bandwidth-bound: threads split
///   the weight rows and each weight row is read once for all such rows (decode);
/// - **tiled** (the rest): `PackedMatMul`, a register-blocked kernel over packed panels (prefill).
/// Under `precision: .bfloat16`, products with bf16 weights round the activations to bf16 first
/// and tiled rows run on the `vdpbf16ps` kernel. Quantized weights (int8 / int4 codes) are
/// dequantized in registers row-wise (`QuantizedMatVec`) and into the fp32 panels when tiled; under
/// `precision: .int8` they meet int8-quantized activations instead, on the integer kernel
/// (`QuantizedActivationProduct`). Tiled rows of quantized weights run on the bf16 kernels instead,
/// the weights dequantized to bf16 a block at a time (`BFloat16Rows`), under `.bfloat16` where the
/// CPU has them (AMX tiles, `vdpbf16ps`) and under `.int8` where it has AMX tiles (faster there;
/// `tiledRowsRunOnBFloat16Kernels`).
public enum MatMul {
    /// Below this many rows, `multiply(_:rows:…)` reduces every row row-wise.
    public static let packedThreshold = 4

    /// Row-wise order for fewer than `packedThreshold` rows, tiled otherwise.
    /// `parallel: false` keeps the work on the calling thread (for callers that already split
    /// their work across threads, like per-head attention).
    public static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool = true, precision: MatMulPrecision = .exact
    ) {
        multiply(x, rows: rows, singleRows: rows < packedThreshold ? rows : 0, weight: weight, into: out,
                 parallel: parallel, precision: precision)
    }

    /// The first `singleRows` rows row-wise (each bit for bit what it gives alone as a one-row
    /// product), the other `rows − singleRows` tiled.
    public static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, singleRows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool = true, precision: MatMulPrecision = .exact
    ) {
        precondition(weight.shape.count == 2, "MatMul weight must be 2-D, got \(weight.shape)")
        precondition(singleRows >= 0 && singleRows <= rows, "MatMul: singleRows \(singleRows) of \(rows)")
        let n = weight.shape[0], k = weight.shape[1]
        guard rows > 0, n > 0 else { return }
        let tiledRows = rows - singleRows
        let tiledOnBFloat16 = tiledRowsRunOnBFloat16Kernels(weight.dtype, precision: precision)
        if precision == .int8 && weight.dtype.isQuantized {
            guard tiledRows > 0, AMXQuantizedProduct.isChosen || tiledOnBFloat16 else {
                // Every row on the integer kernel (timed as tiled when some rows are).
                TiledProductClock.measure(timing: tiledRows > 0) {
                    QuantizedActivationProduct.multiply(x, rows: rows, weight: weight, into: out, parallel: parallel)
                }
                return
            }
            if singleRows > 0 {
                QuantizedActivationProduct.multiply(x, rows: singleRows, weight: weight, into: out, parallel: parallel)
            }
            TiledProductClock.measure {
                if tiledOnBFloat16 {
                    BFloat16DotMatMul.multiply(x + singleRows * k, rows: tiledRows, weight: weight, into: out + singleRows * n, parallel: parallel)
                } else {
                    AMXQuantizedProduct.multiply(x + singleRows * k, rows: tiledRows, weight: weight, into: out + singleRows * n, parallel: parallel)
                }
            }
            return
        }
        let roundsActivations = precision.roundsBFloat16Activations && weight.dtype == .bfloat16
        if singleRows > 0 {
            if roundsActivations {
                // rounded: [singleRows, K]
                ScratchMemory.withFloats(singleRows * k) { rounded in
                    BFloat16DotMatMul.round(x, count: singleRows * k, into: rounded)
                    rowWise(rounded, rows: singleRows, weight: weight, into: out, parallel: parallel)
                }
            } else {
                rowWise(x, rows: singleRows, weight: weight, into: out, parallel: parallel)
            }
        }
        guard tiledRows > 0 else { return }
        let xTiled = x + singleRows * k, outTiled = out + singleRows * n
        TiledProductClock.measure {
            if tiledOnBFloat16 {
                BFloat16DotMatMul.multiply(xTiled, rows: tiledRows, weight: weight, into: outTiled, parallel: parallel)
            } else {
                PackedMatMul.multiply(xTiled, rows: tiledRows, weight: weight, into: outTiled, parallel: parallel)
            }
        }
    }

    /// Whether the tiled rows of a product with `dtype` weights under `precision` run on the bf16
    /// kernels (`BFloat16DotMatMul`: AMX tiles, `vdpbf16ps`, or their portable twin): bf16 weights
    /// whenever the precision rounds activations; int8/q4 weights under `bf16` where
    /// `BFloat16DotMatMul.takesQuantizedTiledRows`, under `int8` where
    /// `takesQuantizedTiledRowsUnderInt8` (and the AMX int8 tiles were not asked for).
    static func tiledRowsRunOnBFloat16Kernels(_ dtype: DType, precision: MatMulPrecision) -> Bool {
        if dtype == .bfloat16 { return precision.roundsBFloat16Activations }
        guard dtype.isQuantized else { return false }
        switch precision {
        case .exact: return false
        case .bfloat16: return BFloat16DotMatMul.takesQuantizedTiledRows
        case .int8: return BFloat16DotMatMul.takesQuantizedTiledRowsUnderInt8 && !AMXQuantizedProduct.isChosen
        }
    }

    /// Several products of the same x, each exactly as `multiply(_:rows:singleRows:…)` gives it, with
    /// the single rows of all of them as one parallel loop (`ProductGroup`): `products` calls its
    /// argument once per (weight, out). Tiled rows run product by product, bf16 weights under
    /// rounded activations on one packing of them.
    public static func multiplySharingInput(
        _ x: UnsafePointer<Float>, rows: Int, singleRows: Int, parallel: Bool = true, precision: MatMulPrecision = .exact,
        _ products: ((TensorView, UnsafeMutablePointer<Float>) -> Void) -> Void
    ) {
        precondition(singleRows >= 0 && singleRows <= rows, "MatMul: singleRows \(singleRows) of \(rows)")
        if singleRows > 0 {
            ScratchMemory.withReusable(ProductGroup.self, make: ProductGroup.init) { group in
                products { weight, out in
                    if weight.dtype == .float16 {  // no grouped kernel: on its own
                        multiply(x, rows: singleRows, singleRows: singleRows, weight: weight, into: out, parallel: parallel, precision: precision)
                    } else {
                        group.add(x, rows: singleRows, weight: weight, into: out, precision: precision)
                    }
                }
                group.run(parallel: parallel)
            }
        }
        guard rows > singleRows else { return }
        // Tiled rows: products all on the bf16 kernels share one packing of the rounded activations.
        var k = 0, sharesPacking = true
        products { weight, _ in
            k = weight.shape[1]
            if !tiledRowsRunOnBFloat16Kernels(weight.dtype, precision: precision) || weight.shape[0] == 0 || k == 0 {
                sharesPacking = false
            }
        }
        if sharesPacking && k > 0 {
            TiledProductClock.measure {
                BFloat16DotMatMul.multiplySharingInput(x + singleRows * k, rows: rows - singleRows, k: k, parallel: parallel) { tiled in
                    withoutActuallyEscaping(tiled) { tiled in
                        products { weight, out in tiled(weight, out + singleRows * weight.shape[0]) }
                    }
                }
            }
            return
        }
        products { weight, out in
            let (n, k) = (weight.shape[0], weight.shape[1])
            multiply(x + singleRows * k, rows: rows - singleRows, singleRows: 0, weight: weight, into: out + singleRows * n,
                     parallel: parallel, precision: precision)
        }
    }

    /// out[T, N] += x[T, K] · Wᵀ on the tiled kernel (fp32 weights): the products start from what
    /// `out` holds, so a gradient accumulates without a second pass.
    public static func multiplyAccumulating(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>, parallel: Bool = true
    ) {
        precondition(weight.shape.count == 2, "MatMul weight must be 2-D, got \(weight.shape)")
        guard rows > 0, weight.shape[0] > 0 else { return }
        PackedMatMul.multiply(x, rows: rows, weight: weight, into: out, parallel: parallel, accumulate: true)
    }

    /// Weight rows per task when threads split the n weight rows of a product with `rows` activation
    /// rows of k: enough that a task is worth a thread (~32k multiply-adds); all n when not parallel.
    static func weightRowGrain(n: Int, k: Int, rows: Int, parallel: Bool) -> Int {
        parallel ? max(1, 32768 / max(1, k &* rows)) : n
    }

    /// Each row of x [T, K] against every weight row, in the matrix-vector kernel's order.
    static func rowWise(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>, parallel: Bool
    ) {
        let n = weight.shape[0], k = weight.shape[1]
        let grain = weightRowGrain(n: n, k: k, rows: rows, parallel: parallel)
        if weight.dtype == .float16 {
            let outAddress = UnsafeMutableRawPointer(out)
            Parallel.forEachRange(n, grain: grain) { range in
                let out = outAddress.assumingMemoryBound(to: Float.self)
                ScratchMemory.withFloats(k) { widened in
                    for row in range {
                        WidenRow.widen(weight, start: row &* k, count: k, into: widened)
                        minimax_matvec_rows_f32(x, rows, k, widened, k, 1, out + row, n)
                    }
                }
            }
            return
        }
        // Through a reusable loop object, so a decode step allocates nothing.
        ScratchMemory.withReusable(MatrixVectorLoop.self, make: MatrixVectorLoop.init) { loop in
            loop.set(x: x, rows: rows, weight: weight, out: out)
            Parallel.forEachRange(n, grain: grain, loop: loop)
        }
    }

    /// Convenience over `Matrix`: returns `x · Wᵀ` as `[x.rows, W.rows]`.
    public static func multiply(_ x: Matrix, _ weight: TensorView) -> Matrix {
        precondition(weight.shape.count == 2 && weight.shape[1] == x.cols,
                     "MatMul: x is [\(x.rows), \(x.cols)], weight is \(weight.shape)")
        var out = Matrix(zeros: x.rows, weight.shape[0])
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                multiply(xp.baseAddress!, rows: x.rows, weight: weight, into: op.baseAddress!)
            }
        }
        return out
    }
}

/// `out[t, r] = x[t] · W[r]` over a range of weight rows r, for fp32, bf16 or quantized weights.
final class MatrixVectorLoop: ParallelLoop {
    private var x = UnsafePointer<Float>(bitPattern: 64)!
    private var rows = 0
    private var weight = UnsafeRawPointer(bitPattern: 64)!
    private var dtype = DType.float32
    private var quantization: WeightQuantization?
    private var usesAVX512 = false
    private var depth = 0
    private var outputs = 0
    private var out = UnsafeMutablePointer<Float>(bitPattern: 64)!

    func set(x: UnsafePointer<Float>, rows: Int, weight: TensorView, out: UnsafeMutablePointer<Float>) {
        precondition(weight.dtype != .float16, "matrix-vector loop: \(weight.dtype)")
        self.x = x
        self.rows = rows
        self.weight = weight.base
        dtype = weight.dtype
        quantization = weight.quantization
        usesAVX512 = KernelPath.selected.usesAVX512QuantizedKernels
        depth = weight.shape[1]
        outputs = weight.shape[0]
        self.out = out
    }

    func run(_ range: Range<Int>) {
        let k = depth, first = range.lowerBound
        switch dtype {
        case .bfloat16:
            minimax_matvec_rows_bf16(
                x, rows, k, (weight + first &* k &* 2).assumingMemoryBound(to: UInt16.self), k, range.count,
                out + first, outputs)
        case .int8, .int4:
            QuantizedMatVec.run(
                x, xRows: rows, xStride: k, codes: weight, dtype: dtype, quantization: quantization!, k: k, firstRow: first,
                rows: range.count, out: out + first, outStride: outputs, avx512: usesAVX512)
        default:
            minimax_matvec_rows_f32(
                x, rows, k, weight.assumingMemoryBound(to: Float.self) + first &* k, k, range.count, out + first, outputs)
        }
    }
}
