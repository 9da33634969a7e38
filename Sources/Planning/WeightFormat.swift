import MiniMax

/// How weights are stored. Quantized formats apply to the attention, expert and dense-FFN matrices
/// (where nearly all the bytes are): symmetric integers with one bf16 scale per group of
/// `groupSize` consecutive input elements of a row. In every format the norms and the router stay
/// fp32 (the real M1 checkpoint keeps its router in fp32; both are tiny), and the embedding table
/// and LM head stay bf16 (the LM head feeds fp32 logits, whose precision the M1 report found to matter).
public enum WeightFormat: String, Sendable, CaseIterable {
    case fp32, bf16, int8, int4

    /// Input elements sharing one scale in the integer formats.
    public static let groupSize = 128
    static let scaleBytes = 2

    public var summary: String {
        switch self {
        case .fp32: return "fp32 everywhere"
        case .bf16: return "bf16 matrices; norms and router fp32"
        case .int8, .int4:
            return "\(rawValue) attention/FFN matrices + one bf16 scale per \(Self.groupSize) inputs; embedding and LM head bf16; norms and router fp32"
        }
    }

    /// Exact bytes of `w` in this format.
    public func bytes(of w: PlannedWeight) -> Int {
        if self == .fp32 { return w.elementCount * 4 }
        switch w.role {
        case .norm, .router: return w.elementCount * 4
        case .embedding, .lmHead: return w.elementCount * 2
        case .attention, .expert:
            guard self != .bf16, w.isMatrix else { return w.elementCount * 2 }
            let rows = w.shape[0], inputs = w.shape[1]
            let scales = rows * ((inputs + Self.groupSize - 1) / Self.groupSize) * Self.scaleBytes
            let values = self == .int8 ? rows * inputs : rows * ((inputs + 1) / 2)
            return values + scales
        }
    }
}

/// Element type of the softmax KV cache (the lightning state is always fp32).
public enum CacheType: String, Sendable, CaseIterable {
    case fp32, bf16, fp8
    public var bytes: Int { self == .fp32 ? 4 : self == .bf16 ? 2 : 1 }
}
