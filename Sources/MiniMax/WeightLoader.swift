import SafeTensors
import Tensors

/// Builds `ModelWeights` from a checkpoint: every declared parameter (`ParameterTree`) is looked up
/// under the checkpoint's names, its shape checked against the configuration, and viewed in place
/// (memory-mapped; nothing is copied but the norms).
public struct WeightLoader {
    public let configuration: Configuration
    public let checkpoint: Checkpoint

    public init(configuration: Configuration, checkpoint: Checkpoint) {
        self.configuration = configuration
        self.checkpoint = checkpoint
    }

    public func load() throws -> ModelWeights {
        let tree = ParameterTree(configuration)
        let source = ExpectedTensors(configuration: configuration, available: Set(checkpoint.weightMap.keys))
        return try Self.assemble(configuration: configuration) { name in
            guard let index = tree.index(of: name) else {
                throw WeightError.missingTensor(name: name, directory: checkpoint.directory.path)
            }
            let p = tree.parameters[index]
            let view = try source.tensor(for: p, in: checkpoint)
            if view.shape != p.shape {
                let file = checkpoint.directory.appendingPathComponent(checkpoint.weightMap[p.name] ?? "").path
                throw WeightError.wrongShape(name: p.name, file: file, expected: p.shape, actual: view.shape)
            }
            return view
        }
    }

    /// The weights struct from a source of parameters by their `ParameterTree` names: the one
    /// place that knows which declaration feeds which field of the inference model.
    public static func assemble(
        configuration c: Configuration, tensor: (String) throws -> TensorView
    ) throws -> ModelWeights {
        func vector(_ name: String) throws -> [Float] { try tensor(name).toFloatArray() }
        let module = TensorNames.moeModules[0]
        let embedding = try tensor(TensorNames.embedding)
        var layers: [DecoderLayerWeights] = []
        for l in 0..<c.layerCount {
            let mixer: TokenMixerWeights
            switch c.layerKinds[l] {
            case .lightning:
                let n = TensorNames.lightning(l)
                mixer = .lightning(LightningAttentionWeights(
                    qkvProjection: try tensor(n[0]), outputGate: try tensor(n[1]), norm: try vector(n[2]),
                    outputProjection: try tensor(n[3])))
            case .softmax:
                let n = TensorNames.softmax(l)
                mixer = .softmax(SoftmaxAttentionWeights(
                    query: try tensor(n[0]), key: try tensor(n[1]), value: try tensor(n[2]), output: try tensor(n[3])))
            }
            let experts = try (0..<c.expertCount).map { e in
                let n = TensorNames.expert(l, e, module: module)
                return ExpertWeights(gate: try tensor(n[0]), up: try tensor(n[1]), down: try tensor(n[2]))
            }
            layers.append(DecoderLayerWeights(
                inputNorm: try vector(TensorNames.inputNorm(l)),
                postAttentionNorm: try vector(TensorNames.postAttentionNorm(l)),
                mixer: mixer,
                moe: MixtureOfExpertsWeights(router: try tensor(TensorNames.router(l, module: module)), experts: experts)))
        }
        let lmHead = c.tieWordEmbeddings ? embedding : try tensor(TensorNames.lmHead)
        return ModelWeights(embedding: embedding, layers: layers, finalNorm: try vector(TensorNames.finalNorm), lmHead: lmHead)
    }
}
