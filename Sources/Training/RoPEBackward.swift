import Kernels

/// Backward of `RoPE.apply`: a rotation is orthogonal, so its transpose — the gradient map — is
/// the rotation by the opposite angle, which `RoPE.apply(inverse: true)` computes.
public enum RoPEBackward {
    /// Rotates the gradient `dX: [T, heads, headDim]` in place by −angle (token t at position
    /// `firstPosition + t`), turning ∂L/∂(rotated x) into ∂L/∂x.
    public static func applyInverse(
        _ dX: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDim: Int, rotaryDim: Int,
        firstPosition: Int, inverseFrequencies invFreq: [Float]
    ) {
        RoPE.apply(
            dX, tokens: tokens, heads: heads, headDim: headDim, rotaryDim: rotaryDim, firstPosition: firstPosition,
            inverseFrequencies: invFreq, inverse: true)
    }
}
