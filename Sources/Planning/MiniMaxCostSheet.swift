import MiniMax

extension ModelCostSheet {
    /// The cost sheet of a MiniMax-M1-family configuration. Weights come from `ParameterTree`
    /// (one declaration per tensor); the mixers' per-token work follows DESIGN.md §1.3 / §1.4.
    public init(miniMax c: Configuration, name: String = "MiniMax-M1") {
        let weights = ParameterTree(c).parameters.map { p in
            PlannedWeight(
                name: p.name, shape: p.shape, role: p.role, part: Self.part(of: p, c), layer: p.layer,
                routedExpert: p.role == .expert ? p.expert : nil)
        }
        let lightningLayers = c.layerKinds.filter { $0 == .lightning }.count
        let softmaxLayers = c.layerCount - lightningLayers
        let h = c.headCount, d = c.headDim, kv = c.keyValueHeadCount
        self.init(
            name: name, weights: weights, expertsPerToken: c.expertsPerToken,
            // Per head and token: S += kᵀv (d² multiply-adds), o = q·S (d²).
            fixedMixerMultiplyAdds: lightningLayers * h * 2 * d * d,
            // Per query head and attended position: q·k (d) and p·v (d).
            attentionMultiplyAddsPerPosition: softmaxLayers * h * 2 * d,
            attentionWindow: c.slidingWindow,
            cacheElementsPerToken: softmaxLayers * 2 * kv * d,
            // The state stays fp32 whatever the weights' dtype (DESIGN.md §1.3 step 8).
            constantStateBytes: lightningLayers * h * d * d * 4,
            constantStateFormula: "\(lightningLayers) lightning layers × \(h) heads × \(d) × \(d) × 4 bytes (fp32)",
            cacheFormula: "\(softmaxLayers) softmax layers × 2 (K, V) × \(kv) KV heads × \(d)")
    }

    static func part(of p: ParameterDeclaration, _ c: Configuration) -> String {
        switch p.role {
        case .embedding: return "embedding"
        case .lmHead: return "LM head"
        case .norm: return "norms"
        case .router: return "router"
        case .expert: return "experts"
        case .attention:
            return p.layer.map { c.layerKinds[$0] } == .lightning ? "lightning attention" : "softmax attention"
        }
    }
}
