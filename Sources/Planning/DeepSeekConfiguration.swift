import Foundation
import MiniMax

/// The size-deciding fields of a DeepSeek-V3 / R1 `config.json` (MLA attention, dense first layers,
/// then MoE layers with routed and shared experts): the model the M1 report compares against.
public struct DeepSeekConfiguration: Sendable, Equatable, Decodable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    /// FFN width of the dense layers.
    public var intermediateSize: Int
    /// FFN width of each expert.
    public var expertIntermediateSize: Int
    public var layerCount: Int
    /// Layers 0 ..< denseLayerCount have a dense FFN, the rest MoE.
    public var denseLayerCount: Int
    public var headCount: Int
    public var queryLoRARank: Int
    public var keyValueLoRARank: Int
    public var queryKeyNoPositionDim: Int
    public var queryKeyRotaryDim: Int
    public var valueHeadDim: Int
    public var routedExpertCount: Int
    public var sharedExpertCount: Int
    public var expertsPerToken: Int
    public var tieWordEmbeddings: Bool

    enum Keys: String, CodingKey {
        case vocab_size, hidden_size, intermediate_size, moe_intermediate_size, num_hidden_layers
        case first_k_dense_replace, num_attention_heads, q_lora_rank, kv_lora_rank, qk_nope_head_dim
        case qk_rope_head_dim, v_head_dim, n_routed_experts, n_shared_experts, num_experts_per_tok
        case tie_word_embeddings
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        vocabularySize = try c.decode(Int.self, forKey: .vocab_size)
        hiddenSize = try c.decode(Int.self, forKey: .hidden_size)
        intermediateSize = try c.decode(Int.self, forKey: .intermediate_size)
        expertIntermediateSize = try c.decode(Int.self, forKey: .moe_intermediate_size)
        layerCount = try c.decode(Int.self, forKey: .num_hidden_layers)
        denseLayerCount = try c.decodeIfPresent(Int.self, forKey: .first_k_dense_replace) ?? 0
        headCount = try c.decode(Int.self, forKey: .num_attention_heads)
        queryLoRARank = try c.decode(Int.self, forKey: .q_lora_rank)
        keyValueLoRARank = try c.decode(Int.self, forKey: .kv_lora_rank)
        queryKeyNoPositionDim = try c.decode(Int.self, forKey: .qk_nope_head_dim)
        queryKeyRotaryDim = try c.decode(Int.self, forKey: .qk_rope_head_dim)
        valueHeadDim = try c.decode(Int.self, forKey: .v_head_dim)
        routedExpertCount = try c.decode(Int.self, forKey: .n_routed_experts)
        sharedExpertCount = try c.decodeIfPresent(Int.self, forKey: .n_shared_experts) ?? 0
        expertsPerToken = try c.decode(Int.self, forKey: .num_experts_per_tok)
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tie_word_embeddings) ?? false
    }

    /// Reads and validates a config file; errors name the file and the field.
    public static func load(path: String) throws -> DeepSeekConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { throw PlanningError.missingFile(path: path) }
        let value: DeepSeekConfiguration
        do {
            value = try JSONDecoder().decode(DeepSeekConfiguration.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw PlanningError.missingField(path: path, field: key.stringValue)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw PlanningError.invalidField(
                path: path, field: context.codingPath.map(\.stringValue).joined(separator: "."), reason: "has the wrong type")
        } catch {
            throw PlanningError.invalidJSON(path: path, reason: "\(error)")
        }
        try value.validate(path: path)
        return value
    }

    public func validate(path: String) throws {
        let positives: [(Int, String)] = [
            (vocabularySize, "vocab_size"), (hiddenSize, "hidden_size"), (intermediateSize, "intermediate_size"),
            (expertIntermediateSize, "moe_intermediate_size"), (layerCount, "num_hidden_layers"),
            (headCount, "num_attention_heads"), (queryLoRARank, "q_lora_rank"), (keyValueLoRARank, "kv_lora_rank"),
            (queryKeyNoPositionDim, "qk_nope_head_dim"), (queryKeyRotaryDim, "qk_rope_head_dim"),
            (valueHeadDim, "v_head_dim"), (routedExpertCount, "n_routed_experts"), (expertsPerToken, "num_experts_per_tok"),
        ]
        for (value, field) in positives where value <= 0 {
            throw PlanningError.invalidField(path: path, field: field, reason: "must be positive, got \(value)")
        }
        guard (0...layerCount).contains(denseLayerCount) else {
            throw PlanningError.invalidField(
                path: path, field: "first_k_dense_replace", reason: "\(denseLayerCount) is not in 0...num_hidden_layers (\(layerCount))")
        }
        guard sharedExpertCount >= 0 else {
            throw PlanningError.invalidField(path: path, field: "n_shared_experts", reason: "must not be negative")
        }
        guard expertsPerToken <= routedExpertCount else {
            throw PlanningError.invalidField(
                path: path, field: "num_experts_per_tok", reason: "\(expertsPerToken) is more than n_routed_experts = \(routedExpertCount)")
        }
    }
}
