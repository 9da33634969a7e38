import MiniMax

/// One weight tensor as the planner sees it: its shape, what it does, and whether a token passes
/// through it. Built from a model's parameter declarations (M1: `ParameterTree`), never from
/// shape formulas of its own.
public struct PlannedWeight: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    /// Decides the storage format (norms and router stay fp32, embedding and LM head bf16).
    public let role: ParameterRole
    /// The part of the model it is reported under ("lightning attention", "experts", …).
    public let part: String
    public let layer: Int?
    /// The routed expert it belongs to; nil for weights every token uses.
    public let routedExpert: Int?

    public init(name: String, shape: [Int], role: ParameterRole, part: String, layer: Int? = nil, routedExpert: Int? = nil) {
        self.name = name
        self.shape = shape
        self.role = role
        self.part = part
        self.layer = layer
        self.routedExpert = routedExpert
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var isMatrix: Bool { shape.count == 2 }
}

/// What one decoded token costs a model, in counts that do not depend on hardware: weights,
/// multiply-adds as a function of context, and per-sequence cache. Both compared models (M1 and a
/// DeepSeek-R1-shaped MLA model) are described by one of these.
public struct ModelCostSheet: Sendable {
    public let name: String
    public let weights: [PlannedWeight]
    /// Routed experts chosen per token in each MoE layer.
    public let expertsPerToken: Int
    /// Multiply-adds per token of token mixers that do not grow with the context
    /// (lightning: kᵀv into the state and q·S out of it, 2·d² per head).
    public let fixedMixerMultiplyAdds: Int
    /// Multiply-adds per token for each attended position (softmax layers: q·k and p·v).
    public let attentionMultiplyAddsPerPosition: Int
    /// Sliding window of the softmax layers, if any: a token attends at most this many positions.
    public let attentionWindow: Int?
    /// Cache elements stored per token per sequence (softmax K and V; MLA's latent + RoPE key).
    public let cacheElementsPerToken: Int
    /// Bytes of per-sequence state that do not grow with the context (lightning: fp32 d×d per head).
    public let constantStateBytes: Int
    /// How the two cache figures above are made up, for the report ("70 × 64 × 128 × 128 × 4").
    public let constantStateFormula: String
    public let cacheFormula: String

    public init(
        name: String, weights: [PlannedWeight], expertsPerToken: Int, fixedMixerMultiplyAdds: Int,
        attentionMultiplyAddsPerPosition: Int, attentionWindow: Int?, cacheElementsPerToken: Int,
        constantStateBytes: Int, constantStateFormula: String, cacheFormula: String
    ) {
        self.name = name
        self.weights = weights
        self.expertsPerToken = expertsPerToken
        self.fixedMixerMultiplyAdds = fixedMixerMultiplyAdds
        self.attentionMultiplyAddsPerPosition = attentionMultiplyAddsPerPosition
        self.attentionWindow = attentionWindow
        self.cacheElementsPerToken = cacheElementsPerToken
        self.constantStateBytes = constantStateBytes
        self.constantStateFormula = constantStateFormula
        self.cacheFormula = cacheFormula
    }

    /// Whether a token passes through `w`: every weight but the routed experts beyond the first
    /// `expertsPerToken` of a layer (experts of a layer share a shape, so any k stand for the chosen k).
    public func isActive(_ w: PlannedWeight) -> Bool { (w.routedExpert ?? 0) < expertsPerToken }

    public var totalParameters: Int { weights.reduce(0) { $0 + $1.elementCount } }

    /// Active parameters per token without the embedding table and LM head, as the M1 report
    /// counts them (M1: 45.94B).
    public var activeParameters: Int {
        weights.filter { isActive($0) && $0.role != .embedding && $0.role != .lmHead }.reduce(0) { $0 + $1.elementCount }
    }

    /// Parameters by part, in first-appearance order: (part, total, active per token).
    public var parametersByPart: [(part: String, total: Int, active: Int)] {
        var order: [String] = []
        var totals: [String: (Int, Int)] = [:]
        for w in weights {
            if totals[w.part] == nil { order.append(w.part) }
            let active = isActive(w) && w.role != .embedding ? w.elementCount : 0
            totals[w.part, default: (0, 0)].0 += w.elementCount
            totals[w.part, default: (0, 0)].1 += active
        }
        return order.map { ($0, totals[$0]!.0, totals[$0]!.1) }
    }

    /// Multiply-adds of one token's products with weight matrices: every active matrix once,
    /// the LM head included; the embedding is a row lookup and norms are element-wise.
    public var weightMultiplyAdds: Int {
        weights.filter { isActive($0) && $0.isMatrix && $0.role != .embedding }.reduce(0) { $0 + $1.elementCount }
    }

    /// Positions a token attends to when `context` tokens came before it (itself included).
    public func attendedPositions(afterContext context: Int) -> Int {
        min(context + 1, attentionWindow ?? Int.max)
    }

    /// Multiply-adds to decode one token after `context` earlier tokens.
    public func multiplyAdds(afterContext context: Int) -> Int {
        weightMultiplyAdds + fixedMixerMultiplyAdds + attentionMultiplyAddsPerPosition * attendedPositions(afterContext: context)
    }

    /// FLOPs (2 per multiply-add) to decode one token after `context` earlier tokens.
    public func flopsPerToken(afterContext context: Int) -> Double { 2 * Double(multiplyAdds(afterContext: context)) }

    /// FLOPs to run `count` tokens at positions `start`, `start + 1`, …: generating `count` tokens
    /// after a `start`-token prompt, or prefilling a `count`-token prompt when `start` is 0.
    /// Prefill is counted token by token (the recurrent form); block-wise lightning prefill adds
    /// intra-block products that this does not count.
    public func flops(tokens count: Int, startingAt start: Int) -> Double {
        let positions = attendedPositionsSum(upTo: start + count) - attendedPositionsSum(upTo: start)
        return 2 * (Double(count) * Double(weightMultiplyAdds + fixedMixerMultiplyAdds)
            + Double(attentionMultiplyAddsPerPosition) * positions)
    }

    /// Σ over positions p < n of the positions attended at p, in closed form.
    func attendedPositionsSum(upTo n: Int) -> Double {
        let n = Double(n)
        guard let w = attentionWindow.map(Double.init), n > w else { return n * (n + 1) / 2 }
        return w * (w + 1) / 2 + (n - w) * w
    }
}
