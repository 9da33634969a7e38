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
    public static func backward(
        outputGradient dY: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int,
        weight: UnsafePointer<Float>, outputs: Int, inputs: Int,
        inputGradient dX: UnsafeMutablePointer<Float>?, weightGradient dW: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, outputs > 0, inputs > 0 else { return }
        if let dX {
            // weightT: [in, out]; product: [T, in] = dY [T, out] · (weightT)ᵀ
            ScratchMemory.withFloats(inputs * outputs + rows * inputs) { weightT in
                let product = weightT + inputs * outputs
                Transpose.apply(weight, rows: outputs, columns: inputs, into: weightT)
                MatMul.multiply(dY, rows: rows, weight: view(weightT, inputs, outputs), into: product)
                Dot.axpy(1, product, dX, count: rows * inputs)
            }
        }
        // dYT: [out, T]; xT: [in, T]; product: [out, in] = dYT · (xT)ᵀ
        ScratchMemory.withFloats(outputs * rows + inputs * rows + outputs * inputs) { dYT in
            let xT = dYT + outputs * rows, product = xT + inputs * rows
            Transpose.apply(dY, rows: rows, columns: outputs, into: dYT)
            Transpose.apply(x, rows: rows, columns: inputs, into: xT)
            MatMul.multiply(dYT, rows: outputs, weight: view(xT, inputs, rows), into: product)
            Dot.axpy(1, product, dW, count: outputs * inputs)
        }
    }

    /// A [rows, columns] fp32 matrix as a matrix-kernel weight operand.
    @inline(__always)
    static func view(_ p: UnsafePointer<Float>, _ rows: Int, _ columns: Int) -> TensorView {
        TensorView(dtype: .float32, shape: [rows, columns], base: UnsafeRawPointer(p), owner: nil)
    }
}

/// Out-of-place matrix transpose in square tiles (so both sides stay in cache), split across
/// threads by tile rows.
enum Transpose {
    static let tile = 32

    /// a: [rows, columns] → out: [columns, rows].
    static func apply(_ a: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        let tileRows = (rows + tile - 1) / tile
        let source = UnsafeRawPointer(a), destination = UnsafeMutableRawPointer(out)
        // Enough tiles per task that a task is worth a thread (~64k elements).
        let grain = max(1, 65536 / max(1, tile * columns))
        Parallel.forEachRange(tileRows, grain: grain) { range in
            let a = source.assumingMemoryBound(to: Float.self), out = destination.assumingMemoryBound(to: Float.self)
            for tr in range {
                let r0 = tr * tile, r1 = min(rows, r0 + tile)
                var c0 = 0
                while c0 < columns {
                    let c1 = min(columns, c0 + tile)
                    for r in r0..<r1 {
                        for c in c0..<c1 { out[c * rows + r] = a[r * columns + c] }
                    }
                    c0 = c1
                }
            }
        }
    }
}
