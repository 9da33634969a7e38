import SafeTensors
import Tensors

/// Builds `ModelWeights` from a checkpoint: every tensor is looked up by name, its shape checked
/// against the configuration, and viewed in place (memory-mapped; nothing is copied but the norms).
public struct WeightLoader {
    public let configuration: Configuration
    public let checkpoint: Checkpoint

    public init(configuration: Configuration, checkpoint: Checkpoint) {
        self.configuration = configuration
        self.checkpoint = checkpoint
    }

    public func load() throws -> ModelWeights {
        let expected = ExpectedTensors(configuration: configuration, available: Set(checkpoint.weightMap.keys))
        let shapes = Dictionary(expected.all.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        func tensor(_ name: String) throws -> TensorView {
            guard checkpoint.contains(name) else {
                throw WeightError.missingTensor(name: name, directory: checkpoint.directory.path)
            }
            let view = try checkpoint.tensor(name)
            if let shape = shapes[name], view.shape != shape {
                let file = checkpoint.directory.appendingPathComponent(checkpoint.weightMap[name] ?? "").path
                throw WeightError.wrongShape(name: name, file: file, expected: shape, actual: view.shape)
            }
            return view
        }
        func vector(_ name: String) throws -> [Float] { try tensor(name).toFloatArray() }

        let c = configuration
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
            let layout = expected.expertLayout(layer: l)
            var experts: [ExpertWeights] = []
            if layout.fused {
                let gateUp = try tensor(TensorNames.fusedGateUp(l, module: layout.module))
                let down = try tensor(TensorNames.fusedDown(l, module: layout.module))
                for e in 0..<c.expertCount {
                    let both = gateUp.slice(e)
                    experts.append(ExpertWeights(
                        gate: both.rows(0, count: c.intermediateSize),
                        up: both.rows(c.intermediateSize, count: c.intermediateSize), down: down.slice(e)))
                }
            } else {
                for e in 0..<c.expertCount {
                    let n = TensorNames.expert(l, e, module: layout.module)
                    experts.append(ExpertWeights(gate: try tensor(n[0]), up: try tensor(n[1]), down: try tensor(n[2])))
                }
            }
            layers.append(DecoderLayerWeights(
                inputNorm: try vector(TensorNames.inputNorm(l)),
                postAttentionNorm: try vector(TensorNames.postAttentionNorm(l)),
                mixer: mixer,
                moe: MixtureOfExpertsWeights(router: try tensor(TensorNames.router(l, module: layout.module)), experts: experts)))
        }
        let lmHead = c.tieWordEmbeddings ? embedding : try tensor(TensorNames.lmHead)
        return ModelWeights(embedding: embedding, layers: layers, finalNorm: try vector(TensorNames.finalNorm), lmHead: lmHead)
    }
}
