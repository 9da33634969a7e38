/// Parameter counts implied by a configuration.
public struct ParameterCount: Sendable, Equatable {
    /// Every weight, embeddings and LM head included (M1: 456.09B).
    public var total: Int
    /// Weights one token passes through, excluding the embedding table and LM head, as the M1
    /// report counts them (M1: 45.94B).
    public var activePerToken: Int
    /// Embedding table plus (untied) LM head.
    public var embedding: Int

    public init(_ c: Configuration) {
        let d = c.hiddenSize, hd = c.headCount * c.headDim, kvd = c.keyValueHeadCount * c.headDim
        let expert = 3 * d * c.intermediateSize
        var total = 0, active = 0
        for kind in c.layerKinds {
            let mixer = kind == .lightning ? 3 * hd * d + hd * d + hd + d * hd : hd * d + 2 * kvd * d + d * hd
            let shared = 2 * d + mixer + c.expertCount * d
            total += shared + c.expertCount * expert
            active += shared + c.expertsPerToken * expert
        }
        embedding = c.vocabularySize * d * (c.tieWordEmbeddings ? 1 : 2)
        self.total = total + d + embedding
        activePerToken = active + d
    }
}
