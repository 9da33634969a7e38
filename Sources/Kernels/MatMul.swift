import Tensors

/// `out[T, N] = x[T, K] · Wᵀ` with `W: [N, K]` stored as fp32, bf16 or fp16 — the shape of every
/// linear layer. One kernel serves prefill (many tokens) and decode (T = 1, a matrix-vector
/// product): threads split the weight rows, each weight row is widened once and reused for all T
/// tokens, so no fp32 copy of the weights ever exists.
public enum MatMul {
    public static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>
    ) {
        precondition(weight.shape.count == 2, "MatMul weight must be 2-D, got \(weight.shape)")
        let n = weight.shape[0], k = weight.shape[1]
        guard rows > 0, n > 0 else { return }
        // Enough rows per task that a task is worth a thread (~32k multiply-adds).
        let grain = max(1, 32768 / max(1, k &* rows))
        let outAddress = UnsafeMutableRawPointer(out)
        Parallel.forEachRange(n, grain: grain) { range in
            let out = outAddress.assumingMemoryBound(to: Float.self)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(k, 1))
            defer { scratch.deallocate() }
            for row in range {
                let w: UnsafePointer<Float>
                if weight.dtype == .float32 {
                    w = weight.base.assumingMemoryBound(to: Float.self) + row &* k
                } else {
                    WidenRow.widen(weight, start: row &* k, count: k, into: scratch)
                    w = UnsafePointer(scratch)
                }
                for t in 0..<rows {
                    out[t &* n &+ row] = Dot.product(x + t &* k, w, count: k)
                }
            }
        }
    }

    /// Convenience over `Matrix`: returns `x · Wᵀ` as `[x.rows, W.rows]`.
    public static func multiply(_ x: Matrix, _ weight: TensorView) -> Matrix {
        precondition(weight.shape.count == 2 && weight.shape[1] == x.cols,
                     "MatMul: x is [\(x.rows), \(x.cols)], weight is \(weight.shape)")
        var out = Matrix(zeros: x.rows, weight.shape[0])
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                multiply(xp.baseAddress!, rows: x.rows, weight: weight, into: op.baseAddress!)
            }
        }
        return out
    }
}
