import SafeTensors
import Tensors

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

    /// Every needed tensor and its shape as stored, in load order: the `ParameterTree`'s declarations
    /// under this checkpoint's names, each layer's experts as the checkpoint stores them; a quantized
    /// weight as its codes (q4: ⌈k/2⌉ bytes a row), then its scales (and minimums).
    public var all: [(name: String, shape: [Int])] { allWithRoles.map { ($0.name, $0.shape) } }

    /// `all`, with the role of the parameter each tensor belongs to.
    public var allWithRoles: [(name: String, shape: [Int], role: ParameterRole)] {
        let c = configuration
        var list: [(name: String, shape: [Int], role: ParameterRole)] = []
        func add(_ name: String, _ shape: [Int], _ role: ParameterRole) {
            guard let q = c.quantization?.applied(to: role) else {
                list.append((name, shape, role))
                return
            }
            for (stored, storedShape) in Self.quantizedStorage(name, shape: shape, q) { list.append((stored, storedShape, role)) }
        }
        var layout = ExpertLayout(module: TensorNames.moeModules[0], fused: false)
        for p in ParameterTree(c).parameters {
            guard let l = p.layer else {
                add(p.name, p.shape, p.role)
                continue
            }
            if p.role == .router {
                layout = expertLayout(layer: l)
                add(TensorNames.router(l, module: layout.module), p.shape, p.role)
            } else if p.role == .expert, let e = p.expert {
                if !layout.fused {
                    add(renamedExpert(p.name, layer: l, expert: e, module: layout.module), p.shape, p.role)
                } else if e == 0 && p.name == TensorNames.expert(l, 0, module: TensorNames.moeModules[0])[0] {
                    add(TensorNames.fusedGateUp(l, module: layout.module), [c.expertCount, 2 * c.intermediateSize, c.hiddenSize], .expert)
                    add(TensorNames.fusedDown(l, module: layout.module), [c.expertCount, c.hiddenSize, c.intermediateSize], .expert)
                }
            } else {
                add(p.name, p.shape, p.role)
            }
        }
        return list
    }

    /// The tensors a quantized weight `name` of logical `shape` [..., k] is stored as: codes, scales
    /// (bf16 [..., groups]) and, for q4, minimums (`q`: the configuration applied to its role).
    public static func quantizedStorage(_ name: String, shape: [Int], _ q: QuantizationConfig) -> [(name: String, shape: [Int])] {
        let k = shape.last ?? 1, group = q.groupSize(k: k), groups = (k + group - 1) / group
        let rows = Array(shape.dropLast())
        var list = [(name, rows + [q.scheme.dtype.rowBytes(k)]), (QuantizationConfig.scaleName(name), rows + [groups])]
        if q.scheme == .q4 { list.append((QuantizationConfig.minimumName(name), rows + [groups])) }
        return list
    }

    /// An expert tensor's name under another MoE module name.
    private func renamedExpert(_ name: String, layer l: Int, expert e: Int, module: String) -> String {
        let canonical = TensorNames.expert(l, e, module: TensorNames.moeModules[0])
        guard let slot = canonical.firstIndex(of: name) else { return name }
        return TensorNames.expert(l, e, module: module)[slot]
    }

    /// The checkpoint's tensor for a declared parameter: under its own name, under the other MoE
    /// module name, or sliced from a layer's fused expert tensors.
    public func tensor(for p: ParameterDeclaration, in checkpoint: Checkpoint) throws -> TensorView {
        let c = configuration, ffn = c.intermediateSize
        /// The tensor `name`, which holds parameters of p's role in `shape`.
        func named(_ name: String, shape: [Int] = p.shape) throws -> TensorView {
            guard checkpoint.contains(name) else {
                throw WeightError.missingTensor(name: name, directory: checkpoint.directory.path)
            }
            if let q = c.quantization?.applied(to: p.role) {
                return try QuantizedTensorReader(checkpoint: checkpoint, quantization: q).tensor(name, shape: shape)
            }
            return try checkpoint.tensor(name)
        }
        guard let l = p.layer, p.role == .router || p.role == .expert else { return try named(p.name) }
        let layout = expertLayout(layer: l)
        if p.role == .router { return try named(TensorNames.router(l, module: layout.module)) }
        guard let e = p.expert,
              let slot = TensorNames.expert(l, e, module: TensorNames.moeModules[0]).firstIndex(of: p.name)
        else { return try named(p.name) }
        guard layout.fused else { return try named(TensorNames.expert(l, e, module: layout.module)[slot]) }
        if slot == 2 {
            let down = try named(TensorNames.fusedDown(l, module: layout.module), shape: [c.expertCount, c.hiddenSize, ffn])
            try requireShape(down, [c.expertCount, c.hiddenSize, ffn], TensorNames.fusedDown(l, module: layout.module), checkpoint)
            return down.slice(e)
        }
        let gateUp = try named(TensorNames.fusedGateUp(l, module: layout.module), shape: [c.expertCount, 2 * ffn, c.hiddenSize])
        try requireShape(gateUp, [c.expertCount, 2 * ffn, c.hiddenSize], TensorNames.fusedGateUp(l, module: layout.module), checkpoint)
        // Gate rows first, then up rows (w1, then w3).
        return gateUp.slice(e).rows(slot == 0 ? 0 : ffn, count: ffn)
    }

    private func requireShape(_ view: TensorView, _ shape: [Int], _ name: String, _ checkpoint: Checkpoint) throws {
        guard view.shape == shape else {
            let file = checkpoint.directory.appendingPathComponent(checkpoint.weightMap[name] ?? "").path
            throw WeightError.wrongShape(name: name, file: file, expected: shape, actual: view.shape)
        }
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
