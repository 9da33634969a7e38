import MiniMax

/// The parameters of one decoder layer as pointers into a `ParameterStore` (weights, gradients or
/// moments alike: each store has the same layout).
struct LayerParameters {
    enum Mixer {
        case lightning(LightningMixerParameters)
        case softmax(SoftmaxMixerParameters)
    }

    /// [D]
    var inputNorm: UnsafeMutablePointer<Float>
    /// [D]
    var postAttentionNorm: UnsafeMutablePointer<Float>
    var mixer: Mixer
    var moe: MixtureOfExpertsParameters

    init(_ store: ParameterStore, layer l: Int) {
        let c = store.tree.configuration
        func at(_ name: String) -> UnsafeMutablePointer<Float> {
            guard let pointer = store.pointer(named: name) else {
                preconditionFailure("the parameter tree declares no \(name)")  // the tree and this file disagree
            }
            return pointer
        }
        inputNorm = at(TensorNames.inputNorm(l))
        postAttentionNorm = at(TensorNames.postAttentionNorm(l))
        switch c.layerKinds[l] {
        case .lightning:
            let n = TensorNames.lightning(l)
            mixer = .lightning(LightningMixerParameters(qkv: at(n[0]), outputGate: at(n[1]), norm: at(n[2]), outputProjection: at(n[3])))
        case .softmax:
            let n = TensorNames.softmax(l)
            mixer = .softmax(SoftmaxMixerParameters(query: at(n[0]), key: at(n[1]), value: at(n[2]), output: at(n[3])))
        }
        let module = TensorNames.moeModules[0]
        moe = MixtureOfExpertsParameters(
            router: at(TensorNames.router(l, module: module)),
            experts: (0..<c.expertCount).map { e in
                let n = TensorNames.expert(l, e, module: module)
                return ExpertParameters(gate: at(n[0]), up: at(n[1]), down: at(n[2]))
            })
    }
}

/// The whole model's parameters as pointers into one store.
struct ModelParameters {
    /// [V, D]
    var embedding: UnsafeMutablePointer<Float>
    var layers: [LayerParameters]
    /// [D]
    var finalNorm: UnsafeMutablePointer<Float>
    /// [V, D]: the embedding when tied.
    var lmHead: UnsafeMutablePointer<Float>

    init(_ store: ParameterStore) {
        let c = store.tree.configuration
        guard let embedding = store.pointer(named: TensorNames.embedding),
              let finalNorm = store.pointer(named: TensorNames.finalNorm)
        else { preconditionFailure("the parameter tree declares no embedding or final norm") }
        self.embedding = embedding
        self.finalNorm = finalNorm
        lmHead = store.pointer(named: TensorNames.lmHead) ?? embedding
        layers = (0..<c.layerCount).map { LayerParameters(store, layer: $0) }
    }
}
