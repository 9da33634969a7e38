import Foundation
import Kernels

/// Backward of `RoPE.apply`: a rotation is orthogonal, so its transpose — the gradient map — is
/// the rotation by the opposite angle. Angles are formed in fp32 exactly as the forward forms them.
public enum RoPEBackward {
    /// Rotates the gradient `dX: [T, heads, headDim]` in place by −angle (token t at position
    /// `firstPosition + t`), turning ∂L/∂(rotated x) into ∂L/∂x.
    public static func applyInverse(
        _ dX: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDim: Int, rotaryDim: Int,
        firstPosition: Int, inverseFrequencies invFreq: [Float]
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
                    sines[i] = sinf(angle)
                }
                for h in 0..<heads {
                    let v = dX + (t * heads + h) * headDim
                    for i in 0..<half {
                        let g1 = v[i], g2 = v[i + half]
                        v[i] = g1 * cosines[i] + g2 * sines[i]
                        v[i + half] = g2 * cosines[i] - g1 * sines[i]
                    }
                }
            }
        }
    }
}
