import Foundation
import Kernels

/// Backward of `RMSNorm.apply`: per row, r = 1/√(mean(x²) + eps), n = x·r, y = weight ⊙ n.
/// With dn = dY ⊙ weight: dX = r · (dn − n · mean(dn ⊙ n)), dWeight = Σ_rows dY ⊙ n.
public enum RMSNormBackward {
    /// x, dY: [rows, width]; weight: [width]. Accumulates dX += …: [rows, width] and
    /// dWeight += …: [width]. Recomputes r from x (as the forward computes it, in fp32).
    public static func apply(
        input x: UnsafePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>, eps: Float,
        outputGradient dY: UnsafePointer<Float>,
        inputGradient dX: UnsafeMutablePointer<Float>, weightGradient dWeight: UnsafeMutablePointer<Float>
    ) {
        guard width > 0 else { return }
        // normalized, scaledGradient: [width] of one row
        ScratchMemory.withFloats(2 * width) { normalized in
            let scaledGradient = normalized + width
            for row in 0..<rows {
                let xr = x + row * width, dYr = dY + row * width, dXr = dX + row * width
                let meanSquare = Dot.product(xr, xr, count: width) / Float(width)
                let r = 1 / (meanSquare + eps).squareRoot()
                var projection: Float = 0
                for i in 0..<width {
                    normalized[i] = xr[i] * r
                    scaledGradient[i] = dYr[i] * weight[i]
                    dWeight[i] += dYr[i] * normalized[i]
                    projection += scaledGradient[i] * normalized[i]
                }
                projection /= Float(width)
                for i in 0..<width { dXr[i] += r * (scaledGradient[i] - normalized[i] * projection) }
            }
        }
    }
}
