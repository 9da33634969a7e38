extension Configuration {
    /// Structural checks the decoder cannot express, and the bounds of `ConfigurationLimits`.
    /// `decode` and `load` run it, so every command that reads a config.json (inspect, logits,
    /// generate, chat, bench, serve, random-model --config) gets a validated value; code that
    /// builds a `Configuration` by hand should call it before sizing anything from one.
    public func validate(path: String = "config.json") throws {
        func invalid(_ field: String, _ reason: String) -> ConfigurationError {
            .invalidField(path: path, field: field, reason: reason)
        }
        /// 1 ≤ value < limit (≤ limit when `inclusive`).
        func size(_ value: Int, _ field: String, below limit: Int, inclusive: Bool = false) throws {
            guard value > 0 else { throw invalid(field, "must be positive, got \(value)") }
            guard inclusive ? value <= limit : value < limit else {
                throw invalid(field, "\(value) is above the limit \(inclusive ? limit : limit - 1)")
            }
        }
        try size(vocabularySize, "vocab_size", below: ConfigurationLimits.vocabularySize)
        try size(hiddenSize, "hidden_size", below: ConfigurationLimits.hiddenSize)
        try size(intermediateSize, "intermediate_size", below: ConfigurationLimits.intermediateSize)
        try size(layerCount, "num_hidden_layers", below: ConfigurationLimits.layerCount)
        try size(headCount, "num_attention_heads", below: ConfigurationLimits.headCount)
        try size(keyValueHeadCount, "num_key_value_heads", below: ConfigurationLimits.headCount)
        try size(headDim, "head_dim", below: ConfigurationLimits.headDim)
        try size(expertCount, "num_local_experts", below: ConfigurationLimits.expertCount)
        try size(expertsPerToken, "num_experts_per_tok", below: ConfigurationLimits.expertCount)
        try size(blockSize, "block_size", below: ConfigurationLimits.blockSize, inclusive: true)
        try size(maxPositionEmbeddings, "max_position_embeddings", below: ConfigurationLimits.positions)
        if let window = slidingWindow {
            guard window > 0 else { throw invalid("sliding_window", "must be positive or null") }
            try size(window, "sliding_window", below: ConfigurationLimits.positions)
        }
        guard headCount % keyValueHeadCount == 0 else {
            throw invalid("num_key_value_heads", "\(keyValueHeadCount) does not divide num_attention_heads = \(headCount)")
        }
        guard expertsPerToken <= expertCount else {
            throw invalid("num_experts_per_tok", "\(expertsPerToken) is more than num_local_experts = \(expertCount)")
        }
        guard rotaryDim > 0, rotaryDim <= headDim, rotaryDim % 2 == 0 else {
            throw invalid("rotary_dim", "\(rotaryDim) must be even and in 2...head_dim (\(headDim))")
        }
        guard rmsNormEpsilon >= 0, rmsNormEpsilon.isFinite else {
            throw invalid("rms_norm_eps", "must be a non-negative number")
        }
        guard lightningNormEpsilon >= 0, lightningNormEpsilon.isFinite else {
            throw invalid("lightning_norm_eps", "must be a non-negative number")
        }
        guard ropeTheta > 0, ropeTheta.isFinite else { throw invalid("rope_theta", "must be positive and finite") }
        for (name, factors) in [("full_attn", softmaxResidual), ("linear_attn", lightningResidual), ("mlp", mlpResidual)] {
            guard factors.alpha.isFinite else { throw invalid("\(name)_alpha_factor", "must be a finite number") }
            guard factors.beta.isFinite else { throw invalid("\(name)_beta_factor", "must be a finite number") }
        }
        try validateTokenIDs(path: path)
        _ = try ConfigurationSizes(self, path: path)
    }

    private func validateTokenIDs(path: String) throws {
        func check(_ id: Int, _ field: String) throws {
            guard id >= 0, id < ConfigurationLimits.vocabularySize else {
                throw ConfigurationError.invalidField(
                    path: path, field: field, reason: "\(id) is not a token id in 0...\(ConfigurationLimits.vocabularySize - 1)")
            }
        }
        if let bosTokenID { try check(bosTokenID, "bos_token_id") }
        guard eosTokenIDs.count < ConfigurationLimits.endOfSequenceIDs else {
            throw ConfigurationError.invalidField(
                path: path, field: "eos_token_id",
                reason: "lists \(eosTokenIDs.count) ids, above the limit \(ConfigurationLimits.endOfSequenceIDs - 1)")
        }
        for (i, id) in eosTokenIDs.enumerated() { try check(id, eosTokenIDs.count == 1 ? "eos_token_id" : "eos_token_id[\(i)]") }
    }
}
