import Tensors

/// `MatMul` under `precision: .int8` with int8 / q4 weights: the activations x [T, K] are quantized
/// once per call (int8 per block of 32, `QuantizedActivations`), then threads split the weight rows
/// and each runs the integer product (`QuantizedMatVec.multiply(_:weight:…)`: VNNI where the CPU has
/// it, its portable twin otherwise) for all T rows. Every output is computed alone by the same kernel
/// whatever else is in the call, so a batch never changes a row's bits, decode or prefill.
/// Allocation-free once the calling thread's buffer has grown to the call's size.
enum QuantizedActivationProduct {
    /// out[T, N] = quantized(x[T, K]) · Wᵀ.
    static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>, parallel: Bool
    ) {
        let n = weight.shape[0], k = weight.shape[1]
        ScratchMemory.withReusable(QuantizedActivationLoop.self, make: QuantizedActivationLoop.init) { loop in
            loop.activations.quantize(x, rows: rows, k: k, layout: QuantizedActivations.Layout(for: weight.dtype))
            loop.weight = weight
            loop.out = out
            defer { loop.weight = nil }
            Parallel.forEachRange(n, grain: MatMul.weightRowGrain(n: n, k: k, rows: rows, parallel: parallel), loop: loop)
        }
    }
}

/// One call's quantized activations and the weight rows a worker multiplies them by.
final class QuantizedActivationLoop: ParallelLoop {
    let activations = QuantizedActivations()
    /// Another loop's activations of the same input, used instead of this loop's (`ProductGroup`).
    var shared: QuantizedActivations?
    /// The fp32 input the activations were quantized from (`ProductGroup` matches members by it).
    var input: UnsafePointer<Float>?
    var weight: TensorView?
    var out = UnsafeMutablePointer<Float>(bitPattern: 64)!

    func run(_ range: Range<Int>) {
        QuantizedMatVec.multiply(shared ?? activations, weight: weight!, outputs: range, into: out)
    }
}
