/// Parameter counts implied by a configuration, summed over its `ParameterTree`.
public struct ParameterCount: Sendable, Equatable {
    /// Every weight, embeddings and LM head included (M1: 456.09B).
    public var total: Int
    /// Weights one token passes through, excluding the embedding table and LM head, as the M1
    /// report counts them (M1: 45.94B): every expert-free weight plus `expertsPerToken` experts
    /// per layer.
    public var activePerToken: Int
    /// Embedding table plus (untied) LM head.
    public var embedding: Int
    /// Elements by role, over the whole model.
    public var byRole: [ParameterRole: Int]

    public init(_ c: Configuration) { self.init(ParameterTree(c)) }

    public init(_ tree: ParameterTree) {
        var total = 0, active = 0
        var byRole: [ParameterRole: Int] = [:]
        let k = tree.configuration.expertsPerToken
        for p in tree.parameters {
            let n = p.elementCount
            total += n
            byRole[p.role, default: 0] += n
            switch p.role {
            case .embedding, .lmHead: break
            // Experts are the same shape within a layer, so `k` of them stand for any `k`.
            case .expert: if let e = p.expert, e < k { active += n }
            case .norm, .attention, .router: active += n
            }
        }
        self.total = total
        activePerToken = active
        embedding = byRole[.embedding, default: 0] + byRole[.lmHead, default: 0]
        self.byRole = byRole
    }
}
