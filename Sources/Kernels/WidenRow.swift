import CKernels
import Tensors

/// Widens stored weight rows to fp32 in a caller-provided buffer (bf16 is a shift, fp16 a convert),
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
