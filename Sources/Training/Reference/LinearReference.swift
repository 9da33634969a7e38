import Foundation

/// Plain-loop twins, in Double, of `Linear`, the activations and `RMSNormBackward`: the
/// definitions the fast Float code is held to, and small enough to check by finite differences.
public enum LinearReference {
    /// x: [T, in], w: [out, in] → [T, out]
    public static func forward(_ x: [Double], rows: Int, weight w: [Double], outputs: Int, inputs: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outputs)
        for t in 0..<rows {
            for o in 0..<outputs {
                var sum = 0.0
                for i in 0..<inputs { sum += x[t * inputs + i] * w[o * inputs + i] }
                y[t * outputs + o] = sum
            }
        }
        return y
    }

    /// dX += dY · W: [T, in]; dW += dYᵀ · x: [out, in].
    public static func backward(
        outputGradient dY: [Double], input x: [Double], rows: Int, weight w: [Double], outputs: Int, inputs: Int,
        inputGradient dX: inout [Double], weightGradient dW: inout [Double]
    ) {
        for t in 0..<rows {
            for o in 0..<outputs {
                let g = dY[t * outputs + o]
                for i in 0..<inputs {
                    dX[t * inputs + i] += g * w[o * inputs + i]
                    dW[o * inputs + i] += g * x[t * inputs + i]
                }
            }
        }
    }

    public static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
    public static func silu(_ z: Double) -> Double { z * sigmoid(z) }
    public static func siluDerivative(_ z: Double) -> Double {
        let s = sigmoid(z)
        return s * (1 + z * (1 - s))
    }
}

public enum RMSNormReference {
    /// x: [rows, width] → weight ⊙ x / √(mean(x²) + eps)
    public static func forward(_ x: [Double], rows: Int, width: Int, weight: [Double], eps: Double) -> [Double] {
        var y = x
        for r in 0..<rows {
            var meanSquare = 0.0
            for i in 0..<width { meanSquare += x[r * width + i] * x[r * width + i] }
            let scale = 1 / (meanSquare / Double(width) + eps).squareRoot()
            for i in 0..<width { y[r * width + i] = weight[i] * x[r * width + i] * scale }
        }
        return y
    }

    /// dX += …, dWeight += … (the formula written out per element, as the chain rule gives it).
    public static func backward(
        _ x: [Double], rows: Int, width: Int, weight: [Double], eps: Double, outputGradient dY: [Double],
        inputGradient dX: inout [Double], weightGradient dWeight: inout [Double]
    ) {
        for r in 0..<rows {
            var meanSquare = 0.0
            for i in 0..<width { meanSquare += x[r * width + i] * x[r * width + i] }
            let scale = 1 / (meanSquare / Double(width) + eps).squareRoot()
            // ∂scale/∂x_j = −scale³ · x_j / width
            var weighted = 0.0
            for i in 0..<width { weighted += dY[r * width + i] * weight[i] * x[r * width + i] }
            for j in 0..<width {
                let xj = x[r * width + j]
                dWeight[j] += dY[r * width + j] * xj * scale
                dX[r * width + j] += dY[r * width + j] * weight[j] * scale
                    - weighted * scale * scale * scale * xj / Double(width)
            }
        }
    }
}
