import Foundation

/// Scalar activations: the reference for `VectorMath`'s sixteen-lane versions and their tails.
public enum Activations {
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    @inline(__always)
    public static func silu(_ x: Float) -> Float { x / (1 + expf(-x)) }
}
