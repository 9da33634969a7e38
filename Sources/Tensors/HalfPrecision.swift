/// Conversions between fp32 and the two 16-bit formats. bf16 is the top half of an fp32, so widening
/// is a shift; narrowing rounds to nearest-even like PyTorch's `.to(torch.bfloat16)`.
public enum HalfPrecision {
    @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) &<< 16)
    }

    @inline(__always)
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x40) }
        let roundingBias: UInt32 = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    @inline(__always)
    public static func float(fromFloat16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    @inline(__always)
    public static func float16Bits(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// Sixteen bf16 values widened at once.
    @inline(__always)
    public static func widen(bfloat16 bits: SIMD16<UInt16>) -> SIMD16<Float> {
        unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: bits) &<< 16, to: SIMD16<Float>.self)
    }
}
