/// Keys and values of one softmax layer for one sequence, appended as tokens arrive.
public struct KeyValueCache: Sendable {
    /// [count, H_kv, d], already rotated.
    public var keys: [Float] = []
    /// [count, H_kv, d]
    public var values: [Float] = []
    public private(set) var count = 0
    public let width: Int

    public init(keyValueHeads: Int, headDim: Int) { width = keyValueHeads * headDim }

    mutating func append(keys newKeys: [Float], values newValues: [Float], tokens: Int) {
        keys += newKeys
        values += newValues
        count += tokens
    }
}

/// The d×d state of every head of one lightning layer for one sequence: fixed size, fp32.
public struct LinearAttentionState: Sendable {
    /// [H, d, d]
    public var state: [Float]

    public init(heads: Int, headDim: Int) {
        state = [Float](repeating: 0, count: heads * headDim * headDim)
    }
}

/// One layer's memory of the sequence so far, chosen by the layer plan.
public enum LayerCache: Sendable {
    case keyValue(KeyValueCache)
    case linear(LinearAttentionState)
}

/// Everything one sequence carries between forward calls: a prompt can be fed in chunks and then
/// extended a token at a time. One cache per sequence, so sequences can be batched independently.
public struct ModelCache: Sendable {
    public var layers: [LayerCache]
    /// Tokens processed so far (the position of the next token).
    public var position: Int = 0

    public init(configuration c: Configuration) {
        layers = c.layerKinds.map { kind in
            switch kind {
            case .lightning: return .linear(LinearAttentionState(heads: c.headCount, headDim: c.headDim))
            case .softmax: return .keyValue(KeyValueCache(keyValueHeads: c.keyValueHeadCount, headDim: c.headDim))
            }
        }
    }

    /// Bytes held by the cache (KV grows with the sequence; lightning states do not).
    public var byteCount: Int {
        layers.reduce(0) { total, layer in
            switch layer {
            case .keyValue(let kv): return total + (kv.keys.count + kv.values.count) * 4
            case .linear(let s): return total + s.state.count * 4
            }
        }
    }
}

extension LayerCache {
    /// Runs `body` on the payload in place. The payload is moved out of the enum first so that its
    /// arrays are uniquely referenced: appending to a KV cache must not copy it.
    mutating func mutate<R>(
        keyValue: (inout KeyValueCache) throws -> R, linear: (inout LinearAttentionState) throws -> R
    ) rethrows -> R {
        switch self {
        case .keyValue(var kv):
            self = .linear(LinearAttentionState(heads: 0, headDim: 0))
            defer { self = .keyValue(kv) }
            return try keyValue(&kv)
        case .linear(var state):
            self = .linear(LinearAttentionState(heads: 0, headDim: 0))
            defer { self = .linear(state) }
            return try linear(&state)
        }
    }
}
