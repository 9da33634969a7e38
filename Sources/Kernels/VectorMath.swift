/// exp, SiLU and sigmoid on sixteen lanes at once. exp uses the classic range reduction
/// x = n·ln2 + r (|r| ≤ ln2/2, ln2 split in two parts for exactness) and a degree-6 polynomial for
/// e^r, then scales by 2ⁿ through the exponent bits; relative error ≈ 2 ulp, against expf's 1.
public enum VectorMath {
    @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        // Below −87.3 the result is subnormal or 0; above 88 it is capped at e^88 (callers only feed x ≤ 0 or use it where e^88 and e^x are equally "huge").
        let clamped = x.clamped(lowerBound: SIMD16(repeating: -87.3), upperBound: SIMD16(repeating: 88.0))
        let n = (clamped * SIMD16(repeating: 1.442695041)).rounded(.toNearestOrEven)
        var r = clamped.addingProduct(n, SIMD16(repeating: -0.693359375))
        r = r.addingProduct(n, SIMD16(repeating: 2.12194440e-4))
        var p = SIMD16<Float>(repeating: 1.9875691500e-4)
        p = SIMD16<Float>(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = SIMD16<Float>(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD16<Float>(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD16<Float>(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD16<Float>(repeating: 5.0000001201e-1).addingProduct(p, r)
        let r2 = r * r
        let er = (r + SIMD16(repeating: 1)).addingProduct(p, r2)
        let scale = unsafeBitCast((SIMD16<Int32>(truncatingIfNeeded: SIMD16<Int32>(n)) &+ 127) &<< 23, to: SIMD16<Float>.self)
        let result = er * scale
        // Exact zero for −∞ and anything that underflows completely.
        return result.replacing(with: 0, where: x .< SIMD16(repeating: -87.3))
    }

    /// x · sigmoid(x) over `count` values in place.
    public static func siluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i &+ 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            raw.storeBytes(of: v / (exp(-v) + 1), toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < count {
            x[i] = Activations.silu(x[i])
            i &+= 1
        }
    }

    /// sigmoid over `count` values in place.
    public static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i &+ 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            raw.storeBytes(of: 1 / (exp(-v) + 1), toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < count {
            x[i] = Activations.sigmoid(x[i])
            i &+= 1
        }
    }
}
