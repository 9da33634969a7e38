import MiniMax

extension ModelCostSheet {
    /// The cost sheet of a DeepSeek-V3/R1-shaped model. Its tensors are declared here, once, with
    /// the checkpoint's names; MLA attention is counted in its expanded form (keys and values
    /// decompressed per head: q·k over qk_nope + qk_rope dims, p·v over v_head_dim dims per
    /// attended position), the form the usual FLOP formulas and the M1 report's comparison use.
    /// The cache holds MLA's compressed latent plus the shared RoPE key per layer.
    public init(deepSeek c: DeepSeekConfiguration, name: String = "DeepSeek-R1") {
        let d = c.hiddenSize, h = c.headCount
        let qkDim = c.queryKeyNoPositionDim + c.queryKeyRotaryDim
        var list = [PlannedWeight(name: "model.embed_tokens.weight", shape: [c.vocabularySize, d], role: .embedding, part: "embedding")]
        for l in 0..<c.layerCount {
            let prefix = "model.layers.\(l)."
            func declare(_ name: String, _ shape: [Int], _ role: ParameterRole, _ part: String, expert: Int? = nil) {
                list.append(PlannedWeight(name: prefix + name, shape: shape, role: role, part: part, layer: l, routedExpert: expert))
            }
            declare("input_layernorm.weight", [d], .norm, "norms")
            declare("self_attn.q_a_proj.weight", [c.queryLoRARank, d], .attention, "MLA attention")
            declare("self_attn.q_a_layernorm.weight", [c.queryLoRARank], .norm, "norms")
            declare("self_attn.q_b_proj.weight", [h * qkDim, c.queryLoRARank], .attention, "MLA attention")
            declare("self_attn.kv_a_proj_with_mqa.weight", [c.keyValueLoRARank + c.queryKeyRotaryDim, d], .attention, "MLA attention")
            declare("self_attn.kv_a_layernorm.weight", [c.keyValueLoRARank], .norm, "norms")
            declare("self_attn.kv_b_proj.weight", [h * (c.queryKeyNoPositionDim + c.valueHeadDim), c.keyValueLoRARank], .attention, "MLA attention")
            declare("self_attn.o_proj.weight", [d, h * c.valueHeadDim], .attention, "MLA attention")
            declare("post_attention_layernorm.weight", [d], .norm, "norms")
            if l < c.denseLayerCount {
                let f = c.intermediateSize
                declare("mlp.gate_proj.weight", [f, d], .expert, "dense FFN")
                declare("mlp.up_proj.weight", [f, d], .expert, "dense FFN")
                declare("mlp.down_proj.weight", [d, f], .expert, "dense FFN")
                continue
            }
            let f = c.expertIntermediateSize
            declare("mlp.gate.weight", [c.routedExpertCount, d], .router, "router")
            declare("mlp.gate.e_score_correction_bias", [c.routedExpertCount], .router, "router")
            for e in 0..<c.routedExpertCount {
                declare("mlp.experts.\(e).gate_proj.weight", [f, d], .expert, "routed experts", expert: e)
                declare("mlp.experts.\(e).up_proj.weight", [f, d], .expert, "routed experts", expert: e)
                declare("mlp.experts.\(e).down_proj.weight", [d, f], .expert, "routed experts", expert: e)
            }
            if c.sharedExpertCount > 0 {
                let shared = c.sharedExpertCount * f
                declare("mlp.shared_experts.gate_proj.weight", [shared, d], .expert, "shared experts")
                declare("mlp.shared_experts.up_proj.weight", [shared, d], .expert, "shared experts")
                declare("mlp.shared_experts.down_proj.weight", [d, shared], .expert, "shared experts")
            }
        }
        list.append(PlannedWeight(name: "model.norm.weight", shape: [d], role: .norm, part: "norms"))
        if !c.tieWordEmbeddings {
            list.append(PlannedWeight(name: "lm_head.weight", shape: [c.vocabularySize, d], role: .lmHead, part: "LM head"))
        }
        let latent = c.keyValueLoRARank + c.queryKeyRotaryDim
        self.init(
            name: name, weights: list, expertsPerToken: c.expertsPerToken, fixedMixerMultiplyAdds: 0,
            attentionMultiplyAddsPerPosition: c.layerCount * h * (qkDim + c.valueHeadDim),
            attentionWindow: nil,
            cacheElementsPerToken: c.layerCount * latent, constantStateBytes: 0,
            constantStateFormula: "none (no linear-attention layers)",
            cacheFormula: "\(c.layerCount) MLA layers × (\(c.keyValueLoRARank) latent + \(c.queryKeyRotaryDim) RoPE key)")
    }
}
