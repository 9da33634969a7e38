/// The tensors a configuration needs, with their shapes, in the naming scheme a checkpoint uses.
public struct ExpectedTensors {
    /// How one layer's experts are stored.
    public struct ExpertLayout: Equatable, Sendable {
        /// "block_sparse_moe" (original release) or "mlp" (transformers).
        public var module: String
        /// Fused `gate_up_proj` / `down_proj` tensors rather than one tensor per expert.
        public var fused: Bool
    }

    public let configuration: Configuration
    /// Names present in the checkpoint (used to detect each layer's expert layout).
    public let available: Set<String>

    public init(configuration: Configuration, available: Set<String>) {
        self.configuration = configuration
        self.available = available
    }

    public func expertLayout(layer l: Int) -> ExpertLayout {
        for module in TensorNames.moeModules where available.contains(TensorNames.fusedGateUp(l, module: module)) {
            return ExpertLayout(module: module, fused: true)
        }
        for module in TensorNames.moeModules where available.contains(TensorNames.router(l, module: module)) {
            return ExpertLayout(module: module, fused: false)
        }
        return ExpertLayout(module: "block_sparse_moe", fused: false)
    }

    /// Every needed tensor and its shape, in load order.
    public var all: [(name: String, shape: [Int])] {
        let c = configuration
        let d = c.hiddenSize, hd = c.headCount * c.headDim, kvd = c.keyValueHeadCount * c.headDim
        var list: [(String, [Int])] = [(TensorNames.embedding, [c.vocabularySize, d])]
        for l in 0..<c.layerCount {
            list.append((TensorNames.inputNorm(l), [d]))
            switch c.layerKinds[l] {
            case .lightning:
                list += zip(TensorNames.lightning(l), [[3 * hd, d], [hd, d], [hd], [d, hd]]).map { ($0, $1) }
            case .softmax:
                list += zip(TensorNames.softmax(l), [[hd, d], [kvd, d], [kvd, d], [d, hd]]).map { ($0, $1) }
            }
            list.append((TensorNames.postAttentionNorm(l), [d]))
            let layout = expertLayout(layer: l)
            list.append((TensorNames.router(l, module: layout.module), [c.expertCount, d]))
            if layout.fused {
                list.append((TensorNames.fusedGateUp(l, module: layout.module), [c.expertCount, 2 * c.intermediateSize, d]))
                list.append((TensorNames.fusedDown(l, module: layout.module), [c.expertCount, d, c.intermediateSize]))
            } else {
                for e in 0..<c.expertCount {
                    list += zip(TensorNames.expert(l, e, module: layout.module),
                                [[c.intermediateSize, d], [c.intermediateSize, d], [d, c.intermediateSize]]).map { ($0, $1) }
                }
            }
        }
        list.append((TensorNames.finalNorm, [d]))
        if !c.tieWordEmbeddings { list.append((TensorNames.lmHead, [c.vocabularySize, d])) }
        return list
    }

    /// Needed tensors the checkpoint lacks.
    public var missing: [String] { all.map(\.name).filter { !available.contains($0) } }

    /// Checkpoint tensors nothing reads (derived buffers excluded: they are recomputed).
    public var unused: [String] {
        let needed = Set(all.map(\.name))
        return available.filter { !needed.contains($0) && !TensorNames.isDerivedBuffer($0) && !(configuration.tieWordEmbeddings && $0 == TensorNames.lmHead) }.sorted()
    }

    /// Derived buffers present in the checkpoint (ignored and recomputed).
    public var ignoredDerivedBuffers: [String] { available.filter(TensorNames.isDerivedBuffer).sorted() }
}
