import CKernels
import Tensors

/// fp32 dot products with SIMD accumulation. The summation order depends only on `count`, never on
/// where the call comes from, so matrix products are bit-identical however their rows are batched.
public enum Dot {
    @inline(__always)
    public static func product(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>(), acc2 = SIMD16<Float>(), acc3 = SIMD16<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i &+ 64 <= count {
            acc0.addProduct(ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self),
                            rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self))
            acc1.addProduct(ra.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self),
                            rb.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self))
            acc2.addProduct(ra.loadUnaligned(fromByteOffset: (i &+ 32) &* 4, as: SIMD16<Float>.self),
                            rb.loadUnaligned(fromByteOffset: (i &+ 32) &* 4, as: SIMD16<Float>.self))
            acc3.addProduct(ra.loadUnaligned(fromByteOffset: (i &+ 48) &* 4, as: SIMD16<Float>.self),
                            rb.loadUnaligned(fromByteOffset: (i &+ 48) &* 4, as: SIMD16<Float>.self))
            i &+= 64
        }
        while i &+ 16 <= count {
            acc0.addProduct(ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self),
                            rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self))
            i &+= 16
        }
        var sum = ((acc0 + acc1) + (acc2 + acc3)).sum()
        while i < count {
            sum += a[i] * b[i]
            i &+= 1
        }
        return sum
    }

    /// Σ a[i] · b[i] with `b` stored as bf16, widened in registers (no scratch copy). Runs the C
    /// kernel (Swift's SIMD conversion from 16- to 32-bit lanes compiles to a call per vector);
    /// `productPortable(_:bfloat16:count:)` is its Swift twin.
    @inline(__always)
    public static func product(_ a: UnsafePointer<Float>, bfloat16 b: UnsafeRawPointer, count: Int) -> Float {
        minimax_dot_f32_bf16(a, b.assumingMemoryBound(to: UInt16.self), count)
    }

    /// The Swift version of `product(_:bfloat16:count:)`.
    public static func productPortable(_ a: UnsafePointer<Float>, bfloat16 b: UnsafeRawPointer, count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>(), acc2 = SIMD16<Float>(), acc3 = SIMD16<Float>()
        let ra = UnsafeRawPointer(a)
        @inline(__always) func w(_ i: Int) -> SIMD16<Float> {
            unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: b.loadUnaligned(fromByteOffset: i &* 2, as: SIMD16<UInt16>.self)) &<< 16,
                          to: SIMD16<Float>.self)
        }
        var i = 0
        while i &+ 64 <= count {
            acc0.addProduct(ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self), w(i))
            acc1.addProduct(ra.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self), w(i &+ 16))
            acc2.addProduct(ra.loadUnaligned(fromByteOffset: (i &+ 32) &* 4, as: SIMD16<Float>.self), w(i &+ 32))
            acc3.addProduct(ra.loadUnaligned(fromByteOffset: (i &+ 48) &* 4, as: SIMD16<Float>.self), w(i &+ 48))
            i &+= 64
        }
        while i &+ 16 <= count {
            acc0.addProduct(ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self), w(i))
            i &+= 16
        }
        var sum = ((acc0 + acc1) + (acc2 + acc3)).sum()
        while i < count {
            sum += a[i] * HalfPrecision.float(fromBFloat16: b.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
            i &+= 1
        }
        return sum
    }

    /// y[0..<count] += alpha * x[0..<count]
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha)
        var i = 0
        while i &+ 16 <= count {
            let v = ry.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                + a * rx.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < count {
            y[i] += alpha * x[i]
            i &+= 1
        }
    }

    /// y[0..<count] = beta * y + alpha * x
    @inline(__always)
    public static func scaleAndAdd(
        _ beta: Float, _ y: UnsafeMutablePointer<Float>, _ alpha: Float, _ x: UnsafePointer<Float>, count: Int
    ) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha), b = SIMD16<Float>(repeating: beta)
        var i = 0
        while i &+ 16 <= count {
            let v = b * ry.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                + a * rx.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < count {
            y[i] = beta * y[i] + alpha * x[i]
            i &+= 1
        }
    }
}
