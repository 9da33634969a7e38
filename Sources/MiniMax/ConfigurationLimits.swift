/// Upper bounds on every size a `config.json` sets, checked before anything is sized from them.
///
/// A checkpoint directory comes from strangers: a field of 2^40 must be a clear error naming the
/// field, never an arithmetic-overflow trap or an allocation that eats the machine. The bounds are
/// powers of two far above any published model (M1 in brackets) and small enough that every
/// product the engine forms from them (`heads · head_dim · hidden`, `experts · 3 · intermediate ·
/// hidden`, …) is far from `Int.max`; the totals are then checked with overflow-reporting
/// arithmetic anyway (`ConfigurationSizes`). The table is repeated in docs/fuzzing.md.
public enum ConfigurationLimits {
    /// `vocab_size` < 2^24 (200,064); also the bound on token ids (`bos_token_id`, `eos_token_id`).
    public static let vocabularySize = 1 << 24
    /// `hidden_size` < 2^17 (6,144).
    public static let hiddenSize = 1 << 17
    /// `intermediate_size` < 2^18 (9,216).
    public static let intermediateSize = 1 << 18
    /// `num_hidden_layers` < 2^12 (80).
    public static let layerCount = 1 << 12
    /// `num_attention_heads` and `num_key_value_heads` < 2^12 (64, 8).
    public static let headCount = 1 << 12
    /// `head_dim` < 2^12 (128); `rotary_dim` ≤ head_dim.
    public static let headDim = 1 << 12
    /// `num_local_experts` < 2^12 (32); `num_experts_per_tok` ≤ num_local_experts.
    public static let expertCount = 1 << 12
    /// `block_size` ≤ 2^12 (256): the lightning prefill keeps block × block tables.
    public static let blockSize = 1 << 12
    /// `max_position_embeddings` and `sliding_window` < 2^30 (10,240,000).
    public static let positions = 1 << 30
    /// `eos_token_id` lists hold < 2^12 ids.
    public static let endOfSequenceIDs = 1 << 12
    /// Parameters in all (embeddings included) < 2^48, about 281 trillion (456 billion).
    public static let totalParameters = 1 << 48
    /// Tensors the configuration names (one per expert matrix) < 2^20 (7,923): a checkpoint's
    /// name list is built from it, and 4095 layers of 4095 experts would be 50 million names.
    public static let tensorCount = 1 << 20
}

/// Sizes derived from a configuration, each computed with overflow-checked arithmetic.
public struct ConfigurationSizes: Sendable, Equatable {
    /// Every weight (the same total `ParameterCount` reports).
    public var totalParameters: Int
    /// Elements of the largest single tensor (the embedding table, a fused expert tensor, …).
    public var largestTensorElements: Int
    /// Bytes of the largest tensor in float32, the widest dtype a checkpoint may use for it.
    public var largestTensorBytes: Int
    /// Tensors in a checkpoint with one tensor per expert matrix (the original layout).
    public var tensorCount: Int

    /// Throws `ConfigurationError.invalidField` when a product overflows or the total passes
    /// `ConfigurationLimits.totalParameters`; `path` names the file.
    public init(_ c: Configuration, path: String = "config.json") throws {
        var overflowed = false
        func mul(_ values: Int...) -> Int {
            values.dropFirst().reduce(values[0]) { product, value in
                let (result, overflow) = product.multipliedReportingOverflow(by: value)
                if overflow { overflowed = true }
                return overflow ? Int.max : result
            }
        }
        func add(_ values: Int...) -> Int {
            values.dropFirst().reduce(values[0]) { sum, value in
                let (result, overflow) = sum.addingReportingOverflow(value)
                if overflow { overflowed = true }
                return overflow ? Int.max : result
            }
        }
        let d = c.hiddenSize, hd = mul(c.headCount, c.headDim), kvd = mul(c.keyValueHeadCount, c.headDim)
        let expert = mul(3, d, c.intermediateSize)
        let lightning = add(mul(3, hd, d), mul(hd, d), hd, mul(d, hd))
        let softmax = add(mul(hd, d), mul(2, kvd, d), mul(d, hd))
        let router = mul(c.expertCount, d)
        let lightningLayers = c.layerKinds.filter { $0 == .lightning }.count
        let softmaxLayers = c.layerCount - lightningLayers
        let perLayerShared = add(mul(2, d), router, mul(c.expertCount, expert))
        let layers = add(mul(lightningLayers, lightning), mul(softmaxLayers, softmax), mul(c.layerCount, perLayerShared))
        let embedding = mul(c.vocabularySize, d, c.tieWordEmbeddings ? 1 : 2)
        totalParameters = add(layers, d, embedding)
        largestTensorElements = [
            mul(c.vocabularySize, d), mul(3, hd, d), mul(kvd, d), router,
            mul(c.expertCount, 2, c.intermediateSize, d),
        ].max() ?? 0
        largestTensorBytes = mul(largestTensorElements, 4)
        // Per layer: two norms, four attention matrices (+ the lightning norm), the router, and
        // three matrices per expert; then embedding, final norm, LM head.
        tensorCount = add(mul(c.layerCount, add(8, mul(3, c.expertCount))), 3)
        guard !overflowed, tensorCount < ConfigurationLimits.tensorCount else {
            throw ConfigurationError.invalidField(
                path: path, field: "num_local_experts",
                reason: "\(c.layerCount) layers of \(c.expertCount) experts name \(tensorCount) tensors, "
                    + "above the limit 2^20 = \(ConfigurationLimits.tensorCount)")
        }
        guard !overflowed, totalParameters < ConfigurationLimits.totalParameters else {
            throw ConfigurationError.invalidField(
                path: path, field: "(parameter total)",
                reason: "the sizes imply \(overflowed ? "more than Int.max" : String(totalParameters)) parameters, "
                    + "above the limit 2^48 = \(ConfigurationLimits.totalParameters)")
        }
    }
}
