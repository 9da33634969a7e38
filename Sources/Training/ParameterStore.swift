import Foundation
import Kernels
import MiniMax
import SafeTensors
import Tensors

/// All of a model's parameters as fp32 in one flat buffer, laid out as its `ParameterTree` says
/// (llm.c's flat parameter buffer). The trainer keeps three of them — the weights (fp32 masters),
/// their gradients and the optimizer's moments — and walks the same declarations for each.
public final class ParameterStore: @unchecked Sendable {
    public let tree: ParameterTree
    /// [tree.elementCount]
    public let values: UnsafeMutablePointer<Float>

    /// A store of zeros.
    public init(tree: ParameterTree) {
        self.tree = tree
        values = .allocate(capacity: max(tree.elementCount, 1))
        values.initialize(repeating: 0, count: max(tree.elementCount, 1))
    }

    deinit { values.deallocate() }

    public var count: Int { tree.elementCount }

    /// The first element of parameter `index`.
    public func pointer(_ index: Int) -> UnsafeMutablePointer<Float> { values + tree.offsets[index] }

    /// The first element of the parameter named `name`; nil when the tree has no such parameter.
    public func pointer(named name: String) -> UnsafeMutablePointer<Float>? {
        tree.index(of: name).map(pointer)
    }

    public func zero() { values.update(repeating: 0, count: count) }

    /// A copy holding the same values.
    public func copy() -> ParameterStore {
        let other = ParameterStore(tree: tree)
        other.values.update(from: values, count: count)
        return other
    }

    /// Each parameter as an fp32 tensor viewing this store (kept alive by the view).
    public func tensorViews() -> [(name: String, tensor: TensorView)] {
        tree.parameters.enumerated().map { i, p in
            (p.name, TensorView(dtype: .float32, shape: p.shape, base: UnsafeRawPointer(pointer(i)), owner: self))
        }
    }

    /// The inference model's weights, viewing this store: the model runs on the training masters.
    public func modelWeights() throws -> ModelWeights {
        let views = Dictionary(tensorViews().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        return try WeightLoader.assemble(configuration: tree.configuration) { name in
            guard let view = views[name] else { throw WeightError.missingTensor(name: name, directory: "(training parameters)") }
            return view
        }
    }
}

extension ParameterStore {
    /// Reads every declared parameter from a checkpoint (any stored dtype, either expert layout).
    public static func load(configuration: Configuration, checkpoint: Checkpoint) throws -> ParameterStore {
        // Training keeps fp32 parameters and writes them back with the model's config.json: a
        // quantized model would come out claiming a quantization its weights no longer have.
        guard configuration.quantization == nil else {
            throw ConfigurationError.unsupported(
                path: checkpoint.directory.appendingPathComponent("config.json").path, field: "quantization_config",
                reason: "training a quantized checkpoint (train the original weights, then `minimax quantize`)")
        }
        let tree = ParameterTree(configuration)
        let store = ParameterStore(tree: tree)
        let source = ExpectedTensors(configuration: configuration, available: Set(checkpoint.weightMap.keys))
        for (i, p) in tree.parameters.enumerated() {
            let view = try source.tensor(for: p, in: checkpoint)
            guard view.shape == p.shape else {
                throw WeightError.wrongShape(
                    name: p.name, file: checkpoint.directory.appendingPathComponent(checkpoint.weightMap[p.name] ?? "").path,
                    expected: p.shape, actual: view.shape)
            }
            WidenRow.widen(view, start: 0, count: p.elementCount, into: store.pointer(i))
        }
        return store
    }

    /// Writes `model.safetensors` (atomically) in `dtype`, under the tree's checkpoint names.
    public func writeSafeTensors(to url: URL, dtype: DType = .float32) throws {
        let tensors: [(name: String, tensor: TensorView)] = tensorViews().map { name, view in
            guard dtype != .float32 else { return (name, view) }
            let values = Array(UnsafeBufferPointer(start: view.base.assumingMemoryBound(to: Float.self), count: view.elementCount))
            return (name, TensorView.owned(values, shape: view.shape, dtype: dtype))
        }
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: url)
    }
}
