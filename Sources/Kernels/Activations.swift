import Foundation

/// Element-wise activations, in place.
public enum Activations {
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    @inline(__always)
    public static func silu(_ x: Float) -> Float { x / (1 + expf(-x)) }

    public static func siluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = silu(x[i]) }
    }

    public static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = sigmoid(x[i]) }
    }

    public static func siluInPlace(_ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { siluInPlace($0.baseAddress!, count: $0.count) }
    }
}
