import SafeTensors
import Tensors

/// Reads one quantized weight of a checkpoint (`QuantizationConfig`): its codes under its own name,
/// its scales and (q4) minimums under the suffixed names, each checked — dtype, shape against the
/// logical shape the configuration expects — before a view is made.
struct QuantizedTensorReader {
    let checkpoint: Checkpoint
    let quantization: QuantizationConfig

    /// The view of weight `name` with logical shape `shape` [..., k].
    func tensor(_ name: String, shape: [Int]) throws -> TensorView {
        let q = quantization, dtype = q.scheme.dtype
        let storage = ExpectedTensors.quantizedStorage(name, shape: shape, q)
        let codes = try part(storage[0].name, dtypeName: dtype.safetensorsName, shape: storage[0].shape, scale: false)
        let scales = try part(storage[1].name, dtypeName: "BF16", shape: storage[1].shape, scale: true)
        let minimums = q.scheme == .q4
            ? try part(storage[2].name, dtypeName: "BF16", shape: storage[2].shape, scale: true) : nil
        let quantization = WeightQuantization(
            groupSize: q.groupSize(k: shape.last ?? 1), scales: scales.base.assumingMemoryBound(to: UInt16.self),
            minimums: minimums?.base.assumingMemoryBound(to: UInt16.self))
        let owners = [codes.owner, scales.owner] + (minimums.map { [$0.owner] } ?? [])
        return TensorView(dtype: dtype, shape: shape, base: codes.base, owner: OwnerGroup(owners), quantization: quantization)
    }

    private func part(_ name: String, dtypeName: String, shape: [Int], scale: Bool) throws -> (base: UnsafeRawPointer, owner: AnyObject) {
        guard checkpoint.contains(name) else {
            throw WeightError.missingTensor(name: name, directory: checkpoint.directory.path)
        }
        let (entry, base, owner) = try checkpoint.bytes(name)
        let file = checkpoint.path(of: name)
        guard entry.dtypeName == dtypeName else {
            throw WeightError.wrongDType(name: name, file: file, expected: dtypeName, actual: entry.dtypeName)
        }
        guard entry.shape == shape else {
            if scale { throw WeightError.wrongScaleShape(name: name, file: file, expected: shape, actual: entry.shape) }
            throw WeightError.wrongShape(name: name, file: file, expected: shape, actual: entry.shape)
        }
        // bf16 reads need 2-byte alignment; safetensors data offsets guarantee nothing.
        if scale && Int(bitPattern: base) % 2 != 0 {
            throw WeightError.wrongDType(name: name, file: file, expected: "\(dtypeName) at an even offset", actual: "an odd offset")
        }
        return (base, owner)
    }
}
