import CKernels
import Tensors

/// A weight's rows as bf16, the operand of the bf16 kernels (`vdpbf16ps`, AMX tiles): bf16 rows in
/// place; int8 / q4 rows dequantized as `WidenRow` does (code · scale [+ min] in fp32) and rounded to
/// the nearest bf16 (ties to even), chunk by chunk into scratch, so a quantized model's prompt rows
/// run on the same kernels as a bf16 model's without a bf16 copy of the whole matrix.
enum BFloat16Rows {
    /// Whether `weight` can be read as bf16 rows: bf16 or quantized.
    static func accepts(_ weight: TensorView) -> Bool { weight.dtype == .bfloat16 || weight.dtype.isQuantized }

    /// Rows first ..< first + count of `weight [N, K]` as bf16, in chunks of at most `chunkRows`
    /// (quantized weights; bf16 ones come whole): `body(rows, start, count)` with `rows` pointing at
    /// weight row `start`, each later row K elements on.
    static func forEachChunk(
        of weight: TensorView, first: Int, count: Int, chunkRows: Int,
        _ body: (UnsafePointer<UInt16>, Int, Int) -> Void
    ) {
        precondition(weight.shape.count == 2 && accepts(weight), "bf16 rows of \(weight.dtype) \(weight.shape)")
        guard count > 0 else { return }
        let k = weight.shape[1]
        guard weight.dtype.isQuantized else {
            body(weight.base.assumingMemoryBound(to: UInt16.self) + first * k, first, count)
            return
        }
        let chunk = max(1, min(chunkRows, count))
        // rows: [chunk, K] bf16
        ScratchMemory.withBuffer(of: UInt16.self, count: chunk * k) { rows in
            var start = first
            while start < first + count {
                let n = min(chunk, first + count - start)
                dequantize(weight, first: start, count: n, into: rows)
                body(rows, start, n)
                start += n
            }
        }
    }

    /// out [count, K] = rows first ..< first + count of quantized `weight`, dequantized and rounded.
    static func dequantize(_ weight: TensorView, first: Int, count: Int, into out: UnsafeMutablePointer<UInt16>) {
        let q = weight.quantization!, k = weight.shape[1], groups = q.groups(k: k)
        let codes = weight.base + first * weight.dtype.rowBytes(k), scales = q.scales + first * groups
        if weight.dtype == .int8 {
            minimax_dequantize_rows_bf16_q8(codes.assumingMemoryBound(to: Int8.self), scales, q.groupSize, k, count, out)
        } else {
            minimax_dequantize_rows_bf16_q4(
                codes.assumingMemoryBound(to: UInt8.self), scales, q.minimums! + first * groups, q.groupSize, k, count, out)
        }
    }

    /// `weight` dequantized to fp32 (`WidenRow`) and then rounded to bf16, element by element, as one
    /// bf16 tensor [N, K]: the reference the tests hold `forEachChunk` and the kernels to (allocates).
    static func dequantized(_ weight: TensorView) -> TensorView {
        let n = weight.shape[0], k = weight.shape[1]
        let bytes = OwnedBytes(count: n * k * 2), dst = bytes.pointer.bindMemory(to: UInt16.self, capacity: max(1, n * k))
        var widened = [Float](repeating: 0, count: k)
        widened.withUnsafeMutableBufferPointer { widened in
            for r in 0..<n {
                WidenRow.dequantize(weight, start: r * k, count: k, into: widened.baseAddress!)
                for j in 0..<k { dst[r * k + j] = HalfPrecision.bfloat16Bits(from: widened[j]) }
            }
        }
        return TensorView(dtype: .bfloat16, shape: [n, k], base: UnsafeRawPointer(bytes.pointer), owner: bytes)
    }
}
