import Tensors

extension ModelWeights {
    /// Bytes of weights one decode step reads: the token's embedding row, every layer's norms,
    /// token mixer and router, `expertsPerToken` experts per layer (assuming distinct experts),
    /// the final norm and the whole LM head.
    public func bytesReadPerToken(expertsPerToken: Int) -> Int {
        var total = embedding.byteCount / max(embedding.shape[0], 1) + finalNorm.count * 4 + lmHead.byteCount
        for layer in layers {
            total += (layer.inputNorm.count + layer.postAttentionNorm.count) * 4 + layer.moe.router.byteCount
            switch layer.mixer {
            case .lightning(let w):
                total += w.qkvProjection.byteCount + w.outputGate.byteCount + w.norm.count * 4 + w.outputProjection.byteCount
            case .softmax(let w):
                total += w.query.byteCount + w.key.byteCount + w.value.byteCount + w.output.byteCount
            }
            if let expert = layer.moe.experts.first {
                total += expertsPerToken * (expert.gate.byteCount + expert.up.byteCount + expert.down.byteCount)
            }
        }
        return total
    }

    /// Bytes of every weight (the whole embedding, all experts): what the model holds in memory.
    public func byteCount(configuration c: Configuration) -> Int {
        let embeddingRow = embedding.byteCount / max(embedding.shape[0], 1)
        // bytesReadPerToken counts one embedding row and the LM head (the embedding when tied).
        return bytesReadPerToken(expertsPerToken: c.expertCount) - embeddingRow
            + (c.tieWordEmbeddings ? 0 : embedding.byteCount)
    }
}
