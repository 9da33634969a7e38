import Foundation

/// Rotary position embedding, NeoX "rotate-half" style, on the first `rotaryDim` features of each
/// head (all of them for full rotation). Angles are formed in fp32 as the reference does.
public enum RoPE {
    /// inv_freq[i] = 1 / θ^(2i / rotaryDim), i < rotaryDim / 2, computed in fp32.
    public static func inverseFrequencies(theta: Double, rotaryDim: Int) -> [Float] {
        (0..<(rotaryDim / 2)).map { i in 1 / powf(Float(theta), Float(2 * i) / Float(rotaryDim)) }
    }

    /// Rotates `x: [T, heads, headDim]` in place; token t sits at position `firstPosition + t`.
    /// `inverse` rotates by the opposite angle (the rotation's transpose: its backward pass).
    public static func apply(
        _ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDim: Int, rotaryDim: Int,
        firstPosition: Int, inverseFrequencies invFreq: [Float], inverse: Bool = false
    ) {
        let half = rotaryDim / 2
        precondition(invFreq.count == half && rotaryDim <= headDim && rotaryDim % 2 == 0, "RoPE sizes")
        ScratchMemory.withFloats(2 * half) { cosines in
            let sines = cosines + half
            for t in 0..<tokens {
                let position = Float(firstPosition + t)
                for i in 0..<half {
                    let angle = position * invFreq[i]
                    cosines[i] = cosf(angle)
                    sines[i] = inverse ? -sinf(angle) : sinf(angle)
                }
                for h in 0..<heads {
                    let v = x + (t * heads + h) * headDim
                    for i in 0..<half {
                        let x1 = v[i], x2 = v[i + half]
                        v[i] = x1 * cosines[i] - x2 * sines[i]
                        v[i + half] = x2 * cosines[i] + x1 * sines[i]
                    }
                }
            }
        }
    }
}
