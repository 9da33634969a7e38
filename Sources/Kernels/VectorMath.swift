/// exp, SiLU and sigmoid on sixteen lanes at once. exp uses the classic range reduction
/// x = n·ln2 + r (|r| ≤ ln2/2, ln2 split in two parts for exactness) and a degree-6 polynomial for
/// e^r, then scales by 2ⁿ through the exponent bits; relative error ≈ 2 ulp, against expf's 1.
public enum VectorMath {
    @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        // Written with operations that lower to single vector instructions (generic SIMD helpers
        // such as `clamped` and `rounded` compile to per-lane code).
        let low = SIMD16<Float>(repeating: -87.3), high = SIMD16<Float>(repeating: 88.0)
        var y = x.replacing(with: low, where: x .< low)
        y = y.replacing(with: high, where: y .> high)
        // n = round(y / ln2) by the 1.5·2²³ trick; its integer value sits in the low mantissa bits.
        let magic = SIMD16<Float>(repeating: 12582912.0)
        let shifted = y * SIMD16<Float>(repeating: 1.442695041) + magic
        let n = shifted - magic
        var r = y.addingProduct(n, SIMD16(repeating: -0.693359375))
        r = r.addingProduct(n, SIMD16(repeating: 2.12194440e-4))
        var p = SIMD16<Float>(repeating: 1.9875691500e-4)
        p = SIMD16<Float>(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = SIMD16<Float>(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD16<Float>(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD16<Float>(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD16<Float>(repeating: 5.0000001201e-1).addingProduct(p, r)
        let er = (r + SIMD16(repeating: 1)).addingProduct(p, r * r)
        let exponent = unsafeBitCast(shifted, to: SIMD16<UInt32>.self) &- unsafeBitCast(magic, to: SIMD16<UInt32>.self)
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD16<Float>.self)
        // Exact zero for −∞ and anything that underflows completely.
        return (er * scale).replacing(with: 0, where: x .< low)
    }

    /// x · sigmoid(x) over `count` values in place.
    public static func siluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        applyInPlace(x, count: count) { v in v / (exp(-v) + 1) }
    }

    /// sigmoid over `count` values in place.
    public static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        applyInPlace(x, count: count) { v in 1 / (exp(-v) + 1) }
    }

    /// x · sigmoid(x) · up over `count` values, into x: the fused twin of `siluInPlace` followed by
    /// `x[i] *= up[i]` (the same operations per value, so the same bits; one pass over memory).
    public static func siluMultiplyInPlace(_ x: UnsafeMutablePointer<Float>, by up: UnsafePointer<Float>, count: Int) {
        applyInPlace(x, other: up, count: count) { v, u in v / (exp(-v) + 1) * u }
    }

    /// x · sigmoid(gate) over `count` values, into x: the fused twin of `sigmoidInPlace(gate)`
    /// followed by `x[i] *= gate[i]` (same bits; `gate` is left as it was).
    public static func multiplyBySigmoidInPlace(
        _ x: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, count: Int
    ) {
        applyInPlace(x, other: gate, count: count) { v, g in v * (1 / (exp(-g) + 1)) }
    }

    /// Applies a lane-wise function 16 values at a time; the last < 16 values go through the same
    /// vector code in a zero-padded vector. So a value's result never depends on where it sits in
    /// the buffer — which rows share a call (the batch) cannot change a row's bits.
    @inline(__always)
    static func applyInPlace(
        _ x: UnsafeMutablePointer<Float>, count: Int, _ f: (SIMD16<Float>) -> SIMD16<Float>
    ) {
        apply(x, into: x, count: count, f)
    }

    /// `applyInPlace` into another buffer (or the same one): y[i] = f(x[i]), the tail likewise
    /// through a zero-padded vector.
    @inline(__always)
    static func apply(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, _ f: (SIMD16<Float>) -> SIMD16<Float>
    ) {
        let source = UnsafeRawPointer(x), destination = UnsafeMutableRawPointer(y)
        var i = 0
        while i &+ 16 <= count {
            destination.storeBytes(of: f(source.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)),
                                   toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        guard i < count else { return }
        var tail = SIMD16<Float>()
        for lane in 0..<(count - i) { tail[lane] = x[i + lane] }
        let result = f(tail)
        for lane in 0..<(count - i) { y[i + lane] = result[lane] }
    }

    /// `applyInPlace` for a function of two buffers, x[i] = f(x[i], other[i]); the tail likewise
    /// through zero-padded vectors.
    @inline(__always)
    static func applyInPlace(
        _ x: UnsafeMutablePointer<Float>, other: UnsafePointer<Float>, count: Int,
        _ f: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>
    ) {
        let raw = UnsafeMutableRawPointer(x), otherRaw = UnsafeRawPointer(other)
        var i = 0
        while i &+ 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            let o = otherRaw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            raw.storeBytes(of: f(v, o), toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        guard i < count else { return }
        var tail = SIMD16<Float>(), otherTail = SIMD16<Float>()
        for lane in 0..<(count - i) {
            tail[lane] = x[i + lane]
            otherTail[lane] = other[i + lane]
        }
        let result = f(tail, otherTail)
        for lane in 0..<(count - i) { x[i + lane] = result[lane] }
    }
}
