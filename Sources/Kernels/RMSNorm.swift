import Foundation
import Tensors

/// `y = x / sqrt(mean(x²) + eps) · weight`, per row, in fp32 (as the reference computes it).
public enum RMSNorm {
    /// Rows are split across threads when there are many (`Parallel.forEachRowRange`); each row is
    /// computed the same way on any thread.
    public static func apply(
        _ x: UnsafePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>, eps: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        Parallel.forEachRowRange(rows, width: width) { range in
            applyRows(x, rows: range, width: width, weight: weight, eps: eps, into: out)
        }
    }

    /// The rows `rows` of x [·, width] into the same rows of out, on the calling thread.
    public static func applyRows(
        _ x: UnsafePointer<Float>, rows: Range<Int>, width: Int, weight: UnsafePointer<Float>, eps: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        for r in rows {
            let xr = x + r &* width, yr = out + r &* width
            let meanSquare = Dot.product(xr, xr, count: width) / Float(width)
            let scale = 1 / (meanSquare + eps).squareRoot()
            for i in 0..<width { yr[i] = weight[i] * (xr[i] * scale) }
        }
    }

    /// Normalises every row of `x` with `weight` ([x.cols]).
    public static func apply(_ x: Matrix, weight: [Float], eps: Float) -> Matrix {
        precondition(weight.count == x.cols, "RMSNorm weight has \(weight.count) values for width \(x.cols)")
        var out = Matrix(zeros: x.rows, x.cols)
        x.data.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { op in
                    apply(xp.baseAddress!, rows: x.rows, width: x.cols, weight: wp.baseAddress!, eps: eps,
                          into: op.baseAddress!)
                }
            }
        }
        return out
    }
}
