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

    /// y[0..<count] += alpha * x[0..<count]
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let a = SIMD16<Float>(repeating: alpha)
        VectorMath.applyInPlace(y, other: x, count: count) { $0 + a * $1 }
    }

    /// y[0..<count] = alpha * x[0..<count]
    @inline(__always)
    public static func scale(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let a = SIMD16<Float>(repeating: alpha)
        VectorMath.apply(x, into: y, count: count) { a * $0 }
    }

    /// x[0..<count] *= alpha; returns the largest product (−∞ when count is 0).
    @inline(__always)
    public static func scaleInPlaceReturningMaximum(_ alpha: Float, _ x: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let raw = UnsafeMutableRawPointer(x)
        let a = SIMD16<Float>(repeating: alpha)
        var maxima = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i &+ 16 <= count {
            let v = a * raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            raw.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD16<Float>.self)
            maxima.replace(with: v, where: v .> maxima)  // (pointwiseMax is a scalar loop of Float.maximum)
            i &+= 16
        }
        var maximum = maxima.max()
        while i < count {
            x[i] *= alpha
            maximum = max(maximum, x[i])
            i &+= 1
        }
        return maximum
    }

    /// y[0..<count] = beta * y + alpha * x
    @inline(__always)
    public static func scaleAndAdd(
        _ beta: Float, _ y: UnsafeMutablePointer<Float>, _ alpha: Float, _ x: UnsafePointer<Float>, count: Int
    ) {
        let a = SIMD16<Float>(repeating: alpha), b = SIMD16<Float>(repeating: beta)
        VectorMath.applyInPlace(y, other: x, count: count) { b * $0 + a * $1 }
    }
}
