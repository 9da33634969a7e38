import CKernels
import Tensors

/// The matrix-vector products of quantized weights (`int8` / `int4` codes with bf16 scales, see
/// `WeightQuantization`): codes are dequantized in registers, never into memory. Two versions of
/// each, the portable C kernel and the AVX-512 one, chosen by `KernelPath`; each output is one fp32
/// accumulation in an order fixed by k and the group size, so a row's result does not depend on the
/// other rows of the call (the twin: `NaiveKernels.matmul`, which reads the codes through
/// `TensorView.element`).
public enum QuantizedMatVec {
    /// out[t · outStride + r] = Σ_i x[t · xStride + i] · W[firstRow + r, i] for t < xRows, r < rows.
    /// Allocation-free (the decode path calls it from a reusable loop object).
    @inline(__always)
    static func run(
        _ x: UnsafePointer<Float>, xRows: Int, xStride: Int, codes: UnsafeRawPointer, dtype: DType,
        quantization q: WeightQuantization, k: Int, firstRow: Int, rows: Int, out: UnsafeMutablePointer<Float>,
        outStride: Int, avx512: Bool
    ) {
        let groups = q.groups(k: k), scales = q.scales + firstRow * groups
        let rowCodes = codes + firstRow * dtype.rowBytes(k)
        if dtype == .int8 {
            let c = rowCodes.assumingMemoryBound(to: Int8.self)
            if avx512 {
                minimax_matvec_rows_q8_avx512(x, xRows, xStride, c, scales, q.groupSize, k, rows, out, outStride)
            } else {
                minimax_matvec_rows_q8_portable(x, xRows, xStride, c, scales, q.groupSize, k, rows, out, outStride)
            }
        } else {
            let c = rowCodes.assumingMemoryBound(to: UInt8.self), minimums = q.minimums! + firstRow * groups
            if avx512 {
                minimax_matvec_rows_q4_avx512(x, xRows, xStride, c, scales, minimums, q.groupSize, k, rows, out, outStride)
            } else {
                minimax_matvec_rows_q4_portable(x, xRows, xStride, c, scales, minimums, q.groupSize, k, rows, out, outStride)
            }
        }
    }

    /// out[T, N] = x[T, K] · Wᵀ on the calling thread with the kernel of `path` (tests hold every
    /// path a CPU has equal to the twin; `path` must be available).
    public static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        path: KernelPath = .selected
    ) {
        precondition(weight.shape.count == 2 && weight.dtype.isQuantized, "QuantizedMatVec: 2-D int8/int4 weight, got \(weight.dtype) \(weight.shape)")
        precondition(path.isAvailable(), "QuantizedMatVec: this CPU cannot run the \(path) path")
        let n = weight.shape[0], k = weight.shape[1]
        run(x, xRows: rows, xStride: k, codes: weight.base, dtype: weight.dtype, quantization: weight.quantization!, k: k,
            firstRow: 0, rows: n, out: out, outStride: n, avx512: path.usesAVX512QuantizedKernels)
    }
}
