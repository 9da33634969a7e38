import Foundation

/// Both `config.json` dialects. Where they disagree (DESIGN.md §1.1): `layer_types` or
/// `attn_type_list` (default: alternate, softmax at even layers — transformers' default);
/// `*_alpha_factor` or `layernorm_*_alpha`; `rope_parameters.rope_theta` over a top-level
/// `rope_theta` (default 1e6); `rotary_dim` / `partial_rotary_factor` when present.
extension Configuration: Codable {
    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case numLocalExperts = "num_local_experts", numExpertsPerTok = "num_experts_per_tok"
        case rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta", ropeParameters = "rope_parameters"
        case rotaryDim = "rotary_dim", partialRotaryFactor = "partial_rotary_factor"
        case blockSize = "block_size", layerTypes = "layer_types", attnTypeList = "attn_type_list"
        case fullAttnAlpha = "full_attn_alpha_factor", fullAttnBeta = "full_attn_beta_factor"
        case linearAttnAlpha = "linear_attn_alpha_factor", linearAttnBeta = "linear_attn_beta_factor"
        case mlpAlpha = "mlp_alpha_factor", mlpBeta = "mlp_beta_factor"
        case originalFullAlpha = "layernorm_full_attention_alpha", originalFullBeta = "layernorm_full_attention_beta"
        case originalLinearAlpha = "layernorm_linear_attention_alpha", originalLinearBeta = "layernorm_linear_attention_beta"
        case originalMLPAlpha = "layernorm_mlp_alpha", originalMLPBeta = "layernorm_mlp_beta"
        case postnorm, slidingWindow = "sliding_window", tieWordEmbeddings = "tie_word_embeddings"
        case maxPositionEmbeddings = "max_position_embeddings"
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
        case hiddenAct = "hidden_act", sharedIntermediateSize = "shared_intermediate_size"
        case quantizationConfig = "quantization_config"
    }

    struct RopeParameters: Codable {
        var ropeType: String?
        var ropeTheta: Double?
        var partialRotaryFactor: Double?

        enum CodingKeys: String, CodingKey {
            case ropeType = "rope_type", ropeTheta = "rope_theta", partialRotaryFactor = "partial_rotary_factor"
        }
    }

    /// `eos_token_id` is an integer, a list of them, or null.
    struct TokenIDs: Codable {
        var ids: [Int]

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { ids = [] }
            else if let one = try? container.decode(Int.self) { ids = [one] }
            else { ids = try container.decode([Int].self) }
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            if ids.count == 1 { try container.encode(ids[0]) } else { try container.encode(ids) }
        }
    }

    public init(from decoder: Decoder) throws {
        let path = decoder.userInfo[configurationPathKey] as? String ?? "config.json"
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "minimax"
        vocabularySize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        let layers = try c.decode(Int.self, forKey: .numHiddenLayers)
        headCount = try c.decode(Int.self, forKey: .numAttentionHeads)
        keyValueHeadCount = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? headCount
        guard headCount > 0 else {
            throw ConfigurationError.invalidField(path: path, field: "num_attention_heads", reason: "must be positive, got \(headCount)")
        }
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? hiddenSize / headCount
        expertCount = try c.decodeIfPresent(Int.self, forKey: .numLocalExperts) ?? 8
        expertsPerToken = try c.decodeIfPresent(Int.self, forKey: .numExpertsPerTok) ?? 2
        rmsNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-5
        blockSize = try c.decodeIfPresent(Int.self, forKey: .blockSize) ?? 256
        slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 4096 * 32
        residualIsNormalized = try c.decodeIfPresent(Bool.self, forKey: .postnorm) ?? true
        bosTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID)
        eosTokenIDs = try c.decodeIfPresent(TokenIDs.self, forKey: .eosTokenID)?.ids ?? []

        let activation = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        guard activation == "silu" else {
            throw ConfigurationError.unsupported(path: path, field: "hidden_act", reason: "activation '\(activation)'")
        }
        if let shared = try c.decodeIfPresent(Int.self, forKey: .sharedIntermediateSize), shared > 0 {
            throw ConfigurationError.unsupported(path: path, field: "shared_intermediate_size", reason: "a shared expert (\(shared))")
        }

        quantization = try c.decodeIfPresent(QuantizationConfig.self, forKey: .quantizationConfig)

        // Layer plan.
        if let names = try c.decodeIfPresent([String].self, forKey: .layerTypes) {
            layerKinds = try names.enumerated().map { i, name in
                guard let kind = LayerKind(layerTypeName: name) else {
                    throw ConfigurationError.invalidField(
                        path: path, field: "layer_types[\(i)]",
                        reason: "'\(name)' is neither 'linear_attention' nor 'full_attention'")
                }
                return kind
            }
            guard names.count == layers else {
                throw ConfigurationError.invalidField(
                    path: path, field: "layer_types", reason: "has \(names.count) entries but num_hidden_layers is \(layers)")
            }
        } else if let codes = try c.decodeIfPresent([Int].self, forKey: .attnTypeList) {
            layerKinds = try codes.enumerated().map { i, code in
                guard let kind = LayerKind(attentionTypeCode: code) else {
                    throw ConfigurationError.invalidField(path: path, field: "attn_type_list[\(i)]", reason: "\(code) is neither 0 nor 1")
                }
                return kind
            }
            guard codes.count == layers else {
                throw ConfigurationError.invalidField(
                    path: path, field: "attn_type_list", reason: "has \(codes.count) entries but num_hidden_layers is \(layers)")
            }
        } else {
            // Bounded here, before the plan is built from it (validate() repeats the check).
            guard layers > 0 else {
                throw ConfigurationError.invalidField(path: path, field: "num_hidden_layers", reason: "must be positive, got \(layers)")
            }
            guard layers < ConfigurationLimits.layerCount else {
                throw ConfigurationError.invalidField(
                    path: path, field: "num_hidden_layers", reason: "\(layers) is above the limit \(ConfigurationLimits.layerCount - 1)")
            }
            layerKinds = (0..<layers).map { $0 % 2 == 0 ? .softmax : .lightning }
        }

        // Residual factors: whichever dialect is present, default 1.
        func factor(_ new: CodingKeys, _ original: CodingKeys) throws -> Float {
            try c.decodeIfPresent(Float.self, forKey: new) ?? c.decodeIfPresent(Float.self, forKey: original) ?? 1
        }
        softmaxResidual = ResidualFactors(alpha: try factor(.fullAttnAlpha, .originalFullAlpha),
                                          beta: try factor(.fullAttnBeta, .originalFullBeta))
        lightningResidual = ResidualFactors(alpha: try factor(.linearAttnAlpha, .originalLinearAlpha),
                                            beta: try factor(.linearAttnBeta, .originalLinearBeta))
        mlpResidual = ResidualFactors(alpha: try factor(.mlpAlpha, .originalMLPAlpha),
                                      beta: try factor(.mlpBeta, .originalMLPBeta))

        // RoPE.
        let rope = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        if let type = rope?.ropeType, type != "default" {
            throw ConfigurationError.unsupported(path: path, field: "rope_parameters.rope_type", reason: "RoPE scaling '\(type)'")
        }
        ropeTheta = try rope?.ropeTheta ?? c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 1e6
        if let dim = try c.decodeIfPresent(Int.self, forKey: .rotaryDim) {
            rotaryDim = dim
        } else if let fraction = try rope?.partialRotaryFactor ?? c.decodeIfPresent(Double.self, forKey: .partialRotaryFactor) {
            // A fraction of the head, so (0, 1]; anything else (1e308, NaN) is an error, not a trap
            // in the Double → Int conversion.
            guard fraction > 0, fraction <= 1 else {
                throw ConfigurationError.invalidField(
                    path: path, field: "partial_rotary_factor", reason: "\(fraction) is not in (0, 1]")
            }
            rotaryDim = Int(min(Double(headDim) * fraction, Double(ConfigurationLimits.headDim)))
        } else {
            rotaryDim = headDim
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabularySize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .numHiddenLayers)
        try c.encode(headCount, forKey: .numAttentionHeads)
        try c.encode(keyValueHeadCount, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(expertCount, forKey: .numLocalExperts)
        try c.encode(expertsPerToken, forKey: .numExpertsPerTok)
        try c.encode(rmsNormEpsilon, forKey: .rmsNormEps)
        try c.encode(RopeParameters(ropeType: "default", ropeTheta: ropeTheta, partialRotaryFactor: nil), forKey: .ropeParameters)
        if rotaryDim != headDim { try c.encode(rotaryDim, forKey: .rotaryDim) }
        try c.encode(blockSize, forKey: .blockSize)
        try c.encode(layerKinds.map(\.layerTypeName), forKey: .layerTypes)
        try c.encode(softmaxResidual.alpha, forKey: .fullAttnAlpha)
        try c.encode(softmaxResidual.beta, forKey: .fullAttnBeta)
        try c.encode(lightningResidual.alpha, forKey: .linearAttnAlpha)
        try c.encode(lightningResidual.beta, forKey: .linearAttnBeta)
        try c.encode(mlpResidual.alpha, forKey: .mlpAlpha)
        try c.encode(mlpResidual.beta, forKey: .mlpBeta)
        if !residualIsNormalized { try c.encode(false, forKey: .postnorm) }
        try c.encodeIfPresent(slidingWindow, forKey: .slidingWindow)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        if !eosTokenIDs.isEmpty { try c.encode(TokenIDs(ids: eosTokenIDs), forKey: .eosTokenID) }
        try c.encode("silu", forKey: .hiddenAct)
        try c.encodeIfPresent(quantization, forKey: .quantizationConfig)
    }
}

extension Configuration.TokenIDs {
    init(ids: [Int]) { self.ids = ids }
}
