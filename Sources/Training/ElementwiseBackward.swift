import Foundation
import Kernels

/// Derivatives of the model's pointwise functions, written against the pre-activation value so a
/// tape only has to keep the input of each activation.
public enum ElementwiseBackward {
    /// d/dz SiLU(z) = σ(z) · (1 + z · (1 − σ(z))).
    @inline(__always)
    public static func siluDerivative(_ z: Float) -> Float {
        let s = Activations.sigmoid(z)
        return s * (1 + z * (1 - s))
    }

    /// d/dz σ(z) written with σ itself (the forward keeps σ(z)): σ · (1 − σ).
    @inline(__always)
    public static func sigmoidDerivative(sigmoid s: Float) -> Float { s * (1 - s) }

    /// dZ[i] = dA[i] · SiLU'(z[i]) for `a = SiLU(z)`; dZ may alias dA.
    public static func silu(
        preActivation z: UnsafePointer<Float>, outputGradient dA: UnsafePointer<Float>,
        into dZ: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { dZ[i] = dA[i] * siluDerivative(z[i]) }
    }

    /// SwiGLU product `a = SiLU(g) ⊙ u` (g = gate pre-activation, u = up projection):
    /// dG = dA ⊙ u ⊙ SiLU'(g), dU = dA ⊙ SiLU(g). Both overwritten.
    public static func swiGLU(
        gate g: UnsafePointer<Float>, up u: UnsafePointer<Float>, outputGradient dA: UnsafePointer<Float>,
        gateGradient dG: UnsafeMutablePointer<Float>, upGradient dU: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count {
            let s = Activations.sigmoid(g[i])
            dU[i] = dA[i] * g[i] * s
            dG[i] = dA[i] * u[i] * s * (1 + g[i] * (1 - s))
        }
    }
}
