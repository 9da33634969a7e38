import Tensors

/// `quantization_config` in `config.json`, as `minimax quantize` writes it:
/// ```
/// "quantization_config": {
///   "quant_method": "minimax",   // this engine's scheme (any other method is refused)
///   "scheme": "int8" | "q4",     // int8: w = code · scale; q4: w = code · scale + min
///   "group_size": -1 | G,        // elements of a row per scale; -1: one scale per output row
///   "modules": "experts" | "linear" | "all", // experts only; and attention projections; and LM head
///   "scale_suffix": "_scale",    // tensor NAME's scales are NAME + suffix (bf16 [rows, groups])
///   "min_suffix": "_min",        // q4 only: NAME + suffix holds the minimums (bf16 [rows, groups])
///   "q4_offset": "min" | "symmetric", // how the minimums were chosen (informational)
///   "attention_scheme": "int8" | "q4", // "linear"/"all": the attention projections' scheme when it
///                                 // differs (absent: `scheme`)
///   "lm_head_scheme": "int8" | "q4" // "all" only: the LM head's scheme when it differs (absent:
///                                 // `scheme`); a role with its own scheme: int8 with one scale per
///                                 // row, q4 with groups of 32
/// }
/// ```
/// Codes sit under the weight's own name: int8 as "I8" [rows, k], q4 as "U8" [rows, ⌈k/2⌉] (layout in
/// `WeightQuantization`). The router, norms and embedding are never quantized, nor is the LM head
/// except under "all" (and never when it is tied to the embedding).
public struct QuantizationConfig: Sendable, Equatable {
    public enum Scheme: String, Sendable, CaseIterable {
        case int8, q4
        /// The codes' element type.
        public var dtype: DType { self == .int8 ? .int8 : .int4 }
    }

    public enum Scope: String, Sendable, CaseIterable {
        /// MoE expert weights only (vLLM's `experts_int8`; the M1 deployment's choice).
        case experts
        /// Experts and the attention projections of both layer kinds.
        case linear
        /// Every linear layer: `linear` and the LM head (an untied one; a tied head is the embedding,
        /// which keeps its precision). llama.cpp's Q8_0 / Q4_K_M quantize the output matrix too.
        case all

        /// What the scope covers, in words (`minimax inspect`).
        public var summary: String {
            switch self {
            case .experts: return "experts only"
            case .linear: return "experts and attention projections"
            case .all: return "experts, attention projections and LM head"
            }
        }
    }

    public static let method = "minimax"
    public static let scaleSuffix = "_scale"
    public static let minimumSuffix = "_min"

    public var scheme: Scheme
    /// Elements per scale along a row; nil: one scale per row.
    public var groupSize: Int?
    public var scope: Scope
    public var int4Offset: WeightQuantizer.Int4Offset
    /// Under `linear` and `all`, the attention projections' scheme when it differs from `scheme`
    /// (nil: the same); under `all`, the LM head's. `minimax quantize --type q4 --scope all` makes
    /// both int8, as llama.cpp's Q4_K_M keeps its attention value and output matrices at 5–6 bits:
    /// on bench-small, 4-bit attention and head gave 1.8× Q4_K_M's KL divergence.
    public var attentionScheme: Scheme?
    public var headScheme: Scheme?

    public init(
        scheme: Scheme, groupSize: Int?, scope: Scope, int4Offset: WeightQuantizer.Int4Offset = .minimum,
        attentionScheme: Scheme? = nil, headScheme: Scheme? = nil
    ) {
        self.scheme = scheme
        self.groupSize = groupSize
        self.scope = scope
        self.int4Offset = int4Offset
        self.attentionScheme = scope != .experts && attentionScheme != scheme ? attentionScheme : nil
        self.headScheme = scope == .all && headScheme != scheme ? headScheme : nil
    }

    /// Whether parameters of `role` are stored quantized.
    public func covers(_ role: ParameterRole) -> Bool {
        switch role {
        case .expert: return true
        case .attention: return scope != .experts
        case .lmHead: return scope == .all
        case .embedding, .norm, .router: return false
        }
    }

    /// How tensors of `role` are stored: nil when they are not quantized, else this configuration,
    /// or for attention / LM head with a scheme of their own that scheme (int8: one scale per row;
    /// q4: groups of 32).
    public func applied(to role: ParameterRole) -> QuantizationConfig? {
        guard covers(role) else { return nil }
        let own = role == .attention ? attentionScheme : role == .lmHead ? headScheme : nil
        guard let own else { return self }
        return QuantizationConfig(scheme: own, groupSize: own == .q4 ? 32 : nil, scope: scope, int4Offset: int4Offset)
    }

    /// The roles whose scheme differs from `scheme`, in words (`minimax inspect`, `quantize`), e.g.
    /// ["attention int8", "LM head int8"]; empty when none does.
    public var ownSchemes: [String] {
        [attentionScheme.map { "attention \($0.rawValue)" }, headScheme.map { "LM head \($0.rawValue)" }].compactMap { $0 }
    }

    /// The group of a row of k elements.
    public func groupSize(k: Int) -> Int { min(groupSize ?? k, max(k, 1)) }

    public static func scaleName(_ name: String) -> String { name + scaleSuffix }
    public static func minimumName(_ name: String) -> String { name + minimumSuffix }
}

extension QuantizationConfig: Codable {
    enum CodingKeys: String, CodingKey {
        case method = "quant_method", scheme, groupSize = "group_size", modules, scaleSuffix = "scale_suffix"
        case minimumSuffix = "min_suffix", int4Offset = "q4_offset", attentionScheme = "attention_scheme"
        case headScheme = "lm_head_scheme"
    }

    public init(from decoder: Decoder) throws {
        let path = decoder.userInfo[configurationPathKey] as? String ?? "config.json"
        func field(_ key: CodingKeys) -> String { "quantization_config.\(key.rawValue)" }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let method = try c.decodeIfPresent(String.self, forKey: .method) ?? "(none)"
        guard method == Self.method else {
            throw ConfigurationError.unsupported(
                path: path, field: field(.method), reason: "quantization method '\(method)' (only '\(Self.method)', from `minimax quantize`)")
        }
        let schemeName = try c.decode(String.self, forKey: .scheme)
        guard let scheme = Scheme(rawValue: schemeName) else {
            throw ConfigurationError.unsupported(path: path, field: field(.scheme), reason: "scheme '\(schemeName)' (int8 or q4)")
        }
        let group = try c.decodeIfPresent(Int.self, forKey: .groupSize) ?? -1
        guard group == -1 || (group > 0 && group % 32 == 0) else {
            throw ConfigurationError.invalidField(
                path: path, field: field(.groupSize), reason: "\(group) is neither -1 (one scale per row) nor a positive multiple of 32")
        }
        if scheme == .q4 && group == -1 {
            throw ConfigurationError.invalidField(path: path, field: field(.groupSize), reason: "q4 needs groups (a positive multiple of 32)")
        }
        let modules = try c.decodeIfPresent(String.self, forKey: .modules) ?? Scope.experts.rawValue
        guard let scope = Scope(rawValue: modules) else {
            throw ConfigurationError.unsupported(path: path, field: field(.modules), reason: "modules '\(modules)' (experts, linear or all)")
        }
        for (key, expected) in [(CodingKeys.scaleSuffix, Self.scaleSuffix), (.minimumSuffix, Self.minimumSuffix)] {
            if let suffix = try c.decodeIfPresent(String.self, forKey: key), suffix != expected {
                throw ConfigurationError.unsupported(path: path, field: field(key), reason: "suffix '\(suffix)' (only '\(expected)')")
            }
        }
        let offsetName = try c.decodeIfPresent(String.self, forKey: .int4Offset) ?? WeightQuantizer.Int4Offset.minimum.rawValue
        guard let offset = WeightQuantizer.Int4Offset(rawValue: offsetName) else {
            throw ConfigurationError.invalidField(path: path, field: field(.int4Offset), reason: "'\(offsetName)' is neither 'min' nor 'symmetric'")
        }
        /// A role's own scheme: absent, or int8 / q4 under a scope that quantizes the role.
        func ownScheme(_ key: CodingKeys, allowed: Bool, role: String) throws -> Scheme? {
            guard let name = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let parsed = Scheme(rawValue: name) else {
                throw ConfigurationError.unsupported(path: path, field: field(key), reason: "scheme '\(name)' (int8 or q4)")
            }
            guard allowed else {
                throw ConfigurationError.invalidField(
                    path: path, field: field(key), reason: "set, but modules is '\(scope.rawValue)' (it does not quantize the \(role))")
            }
            return parsed
        }
        let attention = try ownScheme(.attentionScheme, allowed: scope != .experts, role: "attention projections")
        let head = try ownScheme(.headScheme, allowed: scope == .all, role: "LM head")
        self.init(
            scheme: scheme, groupSize: group == -1 ? nil : group, scope: scope, int4Offset: offset, attentionScheme: attention,
            headScheme: head)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.method, forKey: .method)
        try c.encode(scheme.rawValue, forKey: .scheme)
        try c.encode(groupSize ?? -1, forKey: .groupSize)
        try c.encode(scope.rawValue, forKey: .modules)
        try c.encode(Self.scaleSuffix, forKey: .scaleSuffix)
        if scheme == .q4 || attentionScheme == .q4 || headScheme == .q4 {
            try c.encode(Self.minimumSuffix, forKey: .minimumSuffix)
            try c.encode(int4Offset.rawValue, forKey: .int4Offset)
        }
        try c.encodeIfPresent(attentionScheme?.rawValue, forKey: .attentionScheme)
        try c.encodeIfPresent(headScheme?.rawValue, forKey: .headScheme)
    }
}
