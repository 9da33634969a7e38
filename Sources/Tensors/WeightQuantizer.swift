/// Turns fp32 weight rows into quantized codes and bf16 scales (layouts in `WeightQuantization`).
/// Scales are rounded to the nearest bf16 before the codes are chosen, so a value that lies on a
/// group's grid (code · scale (+ min) with the group's extreme codes present) comes back exactly;
/// any other is off by at most half a step plus what rounding the scale clips at the group's edge
/// (≤ 2⁻⁹ of its range): |w − ŵ| ≤ 0.75 · scale.
public enum WeightQuantizer {
    /// How `int4` places its 16 levels.
    public enum Int4Offset: String, Sendable, CaseIterable {
        /// Each group spans [min, max] of its values: min stored, scale = (max − min) / 15.
        case minimum = "min"
        /// Symmetric about zero: scale = max|w| / 7, min = −8 · scale (levels −8 … 7 steps).
        case symmetric
    }

    /// codes[0..<k], scales[0..<groups] of one row.
    public static func quantizeInt8(
        _ row: UnsafePointer<Float>, k: Int, groupSize: Int, codes: UnsafeMutablePointer<Int8>,
        scales: UnsafeMutablePointer<UInt16>
    ) {
        var g = 0, start = 0
        while start < k {
            let end = min(k, start + groupSize)
            var largest: Float = 0
            for i in start..<end { largest = max(largest, abs(row[i])) }
            let scale = roundedScale(largest / 127)
            scales[g] = HalfPrecision.bfloat16Bits(from: scale)
            for i in start..<end {
                codes[i] = scale > 0 ? Int8(max(-127, min(127, (row[i] / scale).rounded()))) : 0
            }
            g += 1
            start = end
        }
    }

    /// codes[0..<⌈k/2⌉], scales and minimums[0..<groups] of one row.
    public static func quantizeInt4(
        _ row: UnsafePointer<Float>, k: Int, groupSize: Int, offset: Int4Offset, codes: UnsafeMutablePointer<UInt8>,
        scales: UnsafeMutablePointer<UInt16>, minimums: UnsafeMutablePointer<UInt16>
    ) {
        codes.initialize(repeating: 0, count: (k + 1) / 2)
        var g = 0, start = 0
        while start < k {
            let end = min(k, start + groupSize)
            var low = Float.infinity, high = -Float.infinity
            for i in start..<end {
                low = min(low, row[i])
                high = max(high, row[i])
            }
            let scale: Float, minimum: Float
            switch offset {
            case .minimum:
                minimum = bfloat16AtOrBelow(low)
                scale = roundedScale((high - minimum) / 15)
            case .symmetric:
                scale = roundedScale(max(abs(low), abs(high)) / 7)
                minimum = -8 * scale
            }
            scales[g] = HalfPrecision.bfloat16Bits(from: scale)
            minimums[g] = HalfPrecision.bfloat16Bits(from: minimum)
            for i in start..<end {
                let code = scale > 0 ? UInt8(max(0, min(15, ((row[i] - minimum) / scale).rounded()))) : 0
                let (byte, high) = WeightQuantization.int4Position(i, k: k)
                codes[byte] |= high ? code << 4 : code
            }
            g += 1
            start = end
        }
    }

    /// A non-negative scale rounded to the nearest bf16 (the value the kernels will multiply by).
    static func roundedScale(_ s: Float) -> Float {
        guard s.isFinite, s > 0 else { return 0 }
        return HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(from: s))
    }

    /// The largest bf16 not above x (so a group's minimum code still reaches its smallest value).
    static func bfloat16AtOrBelow(_ x: Float) -> Float {
        let nearest = HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(from: x))
        return nearest <= x ? nearest : nearest.nextDown.roundedDownToBFloat16
    }
}

extension Float {
    /// Truncation of the low 16 bits: toward zero in magnitude; for negative values that is upward,
    /// so step once more when needed.
    fileprivate var roundedDownToBFloat16: Float {
        let truncated = Float(bitPattern: bitPattern & 0xFFFF_0000)
        if truncated <= self { return truncated }
        return Float(bitPattern: truncated.bitPattern &+ 0x1_0000)  // negative: one bf16 step further from 0
    }
}
