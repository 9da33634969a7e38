import CKernels
import Tensors

/// `out[T, N] = x[T, K] · Wᵀ` with `W: [N, K]` stored as fp32, bf16 or fp16 — the shape of every
/// linear layer. Few tokens (decode): a bandwidth-bound product where threads split the weight
/// rows and each row is read once for all T tokens. Many tokens (prefill): `PackedMatMul`, a
/// register-blocked kernel over packed panels. No fp32 copy of the weights ever exists.
public enum MatMul {
    /// From this many rows on, packing weight panels pays for itself.
    public static let packedThreshold = 4

    /// `parallel: false` keeps the work on the calling thread (for callers that already split
    /// their work across threads, like per-head attention).
    /// `precision: .bfloat16` rounds the activations of products with bf16 weights to bf16 first
    /// (many rows: the `vdpbf16ps` kernel; a few rows: the same matrix-vector kernel on rounded x).
    public static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        parallel: Bool = true, precision: MatMulPrecision = .exact
    ) {
        precondition(weight.shape.count == 2, "MatMul weight must be 2-D, got \(weight.shape)")
        let n = weight.shape[0], k = weight.shape[1]
        guard rows > 0, n > 0 else { return }
        if precision == .bfloat16 && weight.dtype == .bfloat16 {
            if rows >= packedThreshold {
                BFloat16DotMatMul.multiply(x, rows: rows, weight: weight, into: out, parallel: parallel)
            } else {
                BFloat16DotMatMul.multiplyPortable(x, rows: rows, weight: weight, into: out, parallel: parallel)
            }
            return
        }
        if rows >= packedThreshold {
            PackedMatMul.multiply(x, rows: rows, weight: weight, into: out, parallel: parallel)
            return
        }
        // Enough rows per task that a task is worth a thread (~32k multiply-adds).
        let grain = max(1, 32768 / max(1, k &* rows))
        let outAddress = UnsafeMutableRawPointer(out)
        if rows == 1 && weight.dtype != .float16 {
            // One token: the C matrix-vector kernel (rows streamed in order, one horizontal sum per
            // row), run through a reusable loop object so a decode step allocates nothing.
            ScratchMemory.withReusable(MatrixVectorLoop.self, make: MatrixVectorLoop.init) { loop in
                loop.set(x: x, weight: weight, out: out)
                Parallel.forEachRange(n, grain: parallel ? grain : n, loop: loop)
            }
            return
        }
        Parallel.forEachRange(n, grain: parallel ? grain : n) { range in
            let out = outAddress.assumingMemoryBound(to: Float.self)
            ScratchMemory.withFloats(k) { scratch in
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

/// `out[r] = x · W[r]` over a range of weight rows, for fp32 or bf16 weights.
final class MatrixVectorLoop: ParallelLoop {
    private var x = UnsafePointer<Float>(bitPattern: 64)!
    private var weight = UnsafeRawPointer(bitPattern: 64)!
    private var isBFloat16 = false
    private var depth = 0
    private var out = UnsafeMutablePointer<Float>(bitPattern: 64)!

    func set(x: UnsafePointer<Float>, weight: TensorView, out: UnsafeMutablePointer<Float>) {
        precondition(weight.dtype == .float32 || weight.dtype == .bfloat16, "matrix-vector loop: \(weight.dtype)")
        self.x = x
        self.weight = weight.base
        isBFloat16 = weight.dtype == .bfloat16
        depth = weight.shape[1]
        self.out = out
    }

    func run(_ range: Range<Int>) {
        let k = depth, first = range.lowerBound
        if isBFloat16 {
            minimax_matvec_bf16(x, (weight + first &* k &* 2).assumingMemoryBound(to: UInt16.self), k, range.count, out + first)
        } else {
            minimax_matvec_f32(x, weight.assumingMemoryBound(to: Float.self) + first &* k, k, range.count, out + first)
        }
    }
}
