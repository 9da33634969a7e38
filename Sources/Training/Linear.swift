import CKernels
import Kernels
import Tensors

/// A bias-free linear layer on fp32 master weights: `y = x · Wᵀ`, the shape of every projection
/// in the model. Forward and backward run on the matrix kernel (`MatMul`, multithreaded); the
/// backward products are rewritten as `x · Wᵀ` products by transposing operands into scratch
/// memory, which costs O(T·in + in·out) next to the O(T·in·out) products.
public enum Linear {
    /// x: [T, in], weight: [out, in] → y: [T, out] (overwritten).
    public static func forward(
        _ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>, outputs: Int, inputs: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, outputs > 0 else { return }
        MatMul.multiply(x, rows: rows, weight: view(weight, outputs, inputs), into: y)
    }

    /// Accumulates both gradients of `y = x · Wᵀ` given dY:
    /// - `inputGradient` (optional) += dY · W: [T, in];
    /// - `weightGradient` += dYᵀ · x: [out, in].
    /// `transposedWeight` ([in, out]), when the caller keeps one, spares transposing W for dX: a
    /// caller that runs many small products against one weight (the LM head, a chunk of rows at a
    /// time) transposes it once.
    public static func backward(
        outputGradient dY: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int,
        weight: UnsafePointer<Float>, outputs: Int, inputs: Int,
        inputGradient dX: UnsafeMutablePointer<Float>?, weightGradient dW: UnsafeMutablePointer<Float>,
        transposedWeight: UnsafePointer<Float>? = nil
    ) {
        guard rows > 0, outputs > 0, inputs > 0 else { return }
        if let dX {
            // weightT: [in, out]; product: [T, in] = dY [T, out] · (weightT)ᵀ
            ScratchMemory.withFloats((transposedWeight == nil ? inputs * outputs : 0) + rows * inputs) { scratch in
                let product = scratch + (transposedWeight == nil ? inputs * outputs : 0)
                let weightT: UnsafePointer<Float>
                if let transposedWeight {
                    weightT = transposedWeight
                } else {
                    Transpose.apply(weight, rows: outputs, columns: inputs, into: scratch)
                    weightT = UnsafePointer(scratch)
                }
                MatMul.multiply(dY, rows: rows, weight: view(weightT, inputs, outputs), into: product)
                Dot.axpy(1, product, dX, count: rows * inputs)
            }
        }
        // dYT: [out, T]; xT: [in, T]; dW [out, in] += dYT · (xT)ᵀ, accumulated by the matrix kernel
        ScratchMemory.withFloats(outputs * rows + inputs * rows) { dYT in
            let xT = dYT + outputs * rows
            Transpose.apply(dY, rows: rows, columns: outputs, into: dYT)
            Transpose.apply(x, rows: rows, columns: inputs, into: xT)
            MatMul.multiplyAccumulating(dYT, rows: outputs, weight: view(xT, inputs, rows), into: dW)
        }
    }

    /// A [rows, columns] fp32 matrix as a matrix-kernel weight operand.
    @inline(__always)
    static func view(_ p: UnsafePointer<Float>, _ rows: Int, _ columns: Int) -> TensorView {
        TensorView(dtype: .float32, shape: [rows, columns], base: UnsafeRawPointer(p), owner: nil)
    }
}

/// Out-of-place matrix transpose, split across threads by bands of 16 rows: 16 × 16 tiles
/// transposed in registers (`minimax_transpose_f32`); `applyPortable` is its plain-loop twin.
public enum Transpose {
    static let band = 16

    /// a: [rows, columns] → out: [columns, rows].
    public static func apply(_ a: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        let bands = (rows + band - 1) / band
        let source = UnsafeRawPointer(a), destination = UnsafeMutableRawPointer(out)
        // Enough bands per task that a task is worth a thread (~64k elements).
        let grain = max(1, 65536 / max(1, band * columns))
        Parallel.forEachRange(bands, grain: grain) { range in
            minimax_transpose_f32(
                source.assumingMemoryBound(to: Float.self), rows, columns, range.lowerBound * band,
                min(rows, range.upperBound * band), destination.assumingMemoryBound(to: Float.self))
        }
    }

    /// The naive twin: one value at a time.
    public static func applyPortable(_ a: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = a[r * columns + c] }
        }
    }
}
