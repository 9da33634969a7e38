import CKernels
import Tensors

/// Widens stored weight rows to fp32 in a caller-provided buffer (bf16 is a shift, fp16 a convert,
/// quantized codes are scaled),
/// so matrix kernels read every dtype through the same fp32 inner loop.
public enum WidenRow {
    /// `out[0..<count]` = elements `start..<start+count` of `tensor` as fp32.
    @inline(__always)
    public static func widen(_ tensor: TensorView, start: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch tensor.dtype {
        case .float32:
            out.update(from: tensor.base.assumingMemoryBound(to: Float.self) + start, count: count)
        case .bfloat16:
            minimax_widen_bf16((tensor.base + start &* 2).assumingMemoryBound(to: UInt16.self), out, count)
        case .float16:
            let src = tensor.base + start &* 2
            for i in 0..<count {
                out[i] = HalfPrecision.float(fromFloat16: src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
            }
        case .int8, .int4:
            dequantize(tensor, start: start, count: count, into: out)
        }
    }

    /// The quantized case: codes decoded to fp32 with their scales, row by row.
    static func dequantize(_ tensor: TensorView, start: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let q = tensor.quantization!, k = tensor.shape[tensor.shape.count - 1], groups = q.groups(k: k)
        var done = 0
        while done < count {
            let row = (start + done) / k, first = (start + done) % k, n = min(count - done, k - first)
            let codes = tensor.base + row * tensor.dtype.rowBytes(k), scales = q.scales + row * groups
            if tensor.dtype == .int8 {
                minimax_dequantize_q8(codes.assumingMemoryBound(to: Int8.self), scales, q.groupSize, first, n, out + done)
            } else {
                minimax_dequantize_q4(
                    codes.assumingMemoryBound(to: UInt8.self), scales, q.minimums! + row * groups, q.groupSize, k, first, n,
                    out + done)
            }
            done += n
        }
    }

    /// The Swift version of the bf16 case (twin of the C kernel).
    public static func widenBFloat16Portable(_ tensor: TensorView, start: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let src = tensor.base + start &* 2
        var i = 0
        let ro = UnsafeMutableRawPointer(out)
        while i &+ 16 <= count {
            let bits = src.loadUnaligned(fromByteOffset: i &* 2, as: SIMD16<UInt16>.self)
            ro.storeBytes(of: HalfPrecision.widen(bfloat16: bits), toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < count {
            out[i] = HalfPrecision.float(fromBFloat16: src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
            i &+= 1
        }
    }
}
