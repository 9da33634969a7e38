/// Every parameter a configuration needs, declared once: its checkpoint name, shape and role.
/// Loading, saving, counting, random initialisation, gradient buffers and optimizer state all walk
/// this list (DESIGN.md §2, "the parameters"); nothing else spells out a tensor's shape.
///
/// Names follow the original release (one tensor per expert under `block_sparse_moe`), the layout
/// `transformers` loads too. A checkpoint that stores experts fused is read through `ExpectedTensors`,
/// which maps these declarations onto its tensors.
public struct ParameterTree: Sendable {
    public let configuration: Configuration
    /// In checkpoint order: embedding, then per layer input norm, mixer, post-attention norm, router,
    /// experts; then the final norm and the LM head (absent when tied).
    public let parameters: [ParameterDeclaration]
    /// Element offset of each parameter in a flat buffer holding all of them in order.
    public let offsets: [Int]
    /// Elements of all parameters together.
    public let elementCount: Int
    private let indexByName: [String: Int]

    public init(_ configuration: Configuration) {
        self.init(configuration: configuration, parameters: Self.declarations(configuration))
    }

    /// A tree of chosen declarations (for tests and tools that train something other than a whole model).
    public init(configuration: Configuration, parameters: [ParameterDeclaration]) {
        self.configuration = configuration
        self.parameters = parameters
        var offsets: [Int] = []
        var total = 0
        offsets.reserveCapacity(parameters.count)
        for p in parameters {
            offsets.append(total)
            total += p.elementCount
        }
        self.offsets = offsets
        elementCount = total
        indexByName = Dictionary(parameters.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The index of the parameter named `name`, if the configuration declares it.
    public func index(of name: String) -> Int? { indexByName[name] }

    private static func declarations(_ c: Configuration) -> [ParameterDeclaration] {
        let d = c.hiddenSize, width = c.headCount * c.headDim, kvWidth = c.keyValueHeadCount * c.headDim
        let ffn = c.intermediateSize
        var list = [ParameterDeclaration(name: TensorNames.embedding, shape: [c.vocabularySize, d], role: .embedding)]
        for l in 0..<c.layerCount {
            func declare(_ name: String, _ shape: [Int], _ role: ParameterRole, expert: Int? = nil) {
                list.append(ParameterDeclaration(name: name, shape: shape, role: role, layer: l, expert: expert))
            }
            declare(TensorNames.inputNorm(l), [d], .norm)
            switch c.layerKinds[l] {
            case .lightning:
                let n = TensorNames.lightning(l)
                declare(n[0], [3 * width, d], .attention)  // qkv_proj: per head [q | k | v]
                declare(n[1], [width, d], .attention)  // output_gate
                declare(n[2], [width], .norm)  // the lightning output norm
                declare(n[3], [d, width], .attention)  // out_proj
            case .softmax:
                let n = TensorNames.softmax(l)
                declare(n[0], [width, d], .attention)
                declare(n[1], [kvWidth, d], .attention)
                declare(n[2], [kvWidth, d], .attention)
                declare(n[3], [d, width], .attention)
            }
            declare(TensorNames.postAttentionNorm(l), [d], .norm)
            declare(TensorNames.router(l, module: TensorNames.moeModules[0]), [c.expertCount, d], .router)
            for e in 0..<c.expertCount {
                let n = TensorNames.expert(l, e, module: TensorNames.moeModules[0])
                declare(n[0], [ffn, d], .expert, expert: e)  // w1, gate
                declare(n[1], [ffn, d], .expert, expert: e)  // w3, up
                declare(n[2], [d, ffn], .expert, expert: e)  // w2, down
            }
        }
        list.append(ParameterDeclaration(name: TensorNames.finalNorm, shape: [d], role: .norm))
        if !c.tieWordEmbeddings {
            list.append(ParameterDeclaration(name: TensorNames.lmHead, shape: [c.vocabularySize, d], role: .lmHead))
        }
        return list
    }
}

/// What a parameter does: decides how it is counted (active or not), initialised and decayed.
public enum ParameterRole: String, Sendable, CaseIterable {
    case embedding
    case lmHead = "lm_head"
    /// RMSNorm weights (initialised to 1, no weight decay).
    case norm
    /// Token-mixer projections of both layer kinds.
    case attention
    case router
    case expert
}

public struct ParameterDeclaration: Sendable, Equatable {
    /// The checkpoint tensor name.
    public let name: String
    public let shape: [Int]
    public let role: ParameterRole
    /// The decoder layer, for per-layer parameters.
    public let layer: Int?
    /// The expert, for expert weights.
    public let expert: Int?

    public init(name: String, shape: [Int], role: ParameterRole, layer: Int? = nil, expert: Int? = nil) {
        self.name = name
        self.shape = shape
        self.role = role
        self.layer = layer
        self.expert = expert
    }

    public var elementCount: Int { shape.reduce(1, *) }
    /// The input width of a matrix (its fan-in); 1 for vectors.
    public var fanIn: Int { shape.count > 1 ? shape[shape.count - 1] : 1 }
}
