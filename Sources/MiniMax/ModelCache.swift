/// One page of a key/value cache: `pageSize` token slots for every KV head. Full pages never change,
/// so copies of a cache share them; only the page being filled is copied when shared.
final class KeyValuePage: @unchecked Sendable {
    /// [H_kv, pageSize, d]
    let keys: UnsafeMutablePointer<Float>
    /// [H_kv, d, pageSize] — transposed so attention can multiply by it directly; unused slots are 0.
    let values: UnsafeMutablePointer<Float>
    let elementCount: Int

    init(elementCount: Int) {
        self.elementCount = elementCount
        keys = .allocate(capacity: elementCount)
        keys.initialize(repeating: 0, count: elementCount)
        values = .allocate(capacity: elementCount)
        values.initialize(repeating: 0, count: elementCount)
    }

    convenience init(copying other: KeyValuePage) {
        self.init(elementCount: other.elementCount)
        keys.update(from: other.keys, count: elementCount)
        values.update(from: other.values, count: elementCount)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }
}

/// Keys (rotated) and values of one softmax layer for one sequence, in pages of `pageSize` tokens:
/// growth never copies what is stored, and at most one page is partly empty.
/// (`@unchecked`: the page pointers point into `pages`, which this value keeps alive.)
public struct KeyValueCache: @unchecked Sendable {
    public let keyValueHeads: Int
    public let headDim: Int
    public let pageSize: Int
    var pages: [KeyValuePage] = []
    /// The pages' key and value storage, kept beside `pages` for the attention kernel (so a decode
    /// step does not rebuild pointer arrays).
    private(set) var keyPointers: [UnsafePointer<Float>] = []
    private(set) var valuePointers: [UnsafePointer<Float>] = []
    public private(set) var count = 0

    public init(keyValueHeads: Int, headDim: Int, pageSize: Int = 256) {
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.pageSize = pageSize
    }

    /// Appends `tokens` tokens. newKeys, newValues: [T, H_kv, d].
    mutating func append(keys newKeys: UnsafePointer<Float>, values newValues: UnsafePointer<Float>, tokens: Int) {
        let d = headDim, heads = keyValueHeads, size = pageSize
        for t in 0..<tokens {
            let slot = count % size
            if slot == 0 {
                pages.append(KeyValuePage(elementCount: heads * size * d))
                keyPointers.append(UnsafePointer(pages[pages.count - 1].keys))
                valuePointers.append(UnsafePointer(pages[pages.count - 1].values))
            } else if !isKnownUniquelyReferenced(&pages[pages.count - 1]) {
                // Shared with a copy of this cache: copy the page being filled before writing.
                let copy = KeyValuePage(copying: pages[pages.count - 1])
                pages[pages.count - 1] = copy
                keyPointers[pages.count - 1] = UnsafePointer(copy.keys)
                valuePointers[pages.count - 1] = UnsafePointer(copy.values)
            }
            let page = pages[pages.count - 1]
            for g in 0..<heads {
                let source = (t * heads + g) * d
                for c in 0..<d {
                    page.keys[(g * size + slot) * d + c] = newKeys[source + c]
                    page.values[(g * d + c) * size + slot] = newValues[source + c]
                }
            }
            count += 1
        }
    }

    /// Bytes held (whole pages).
    public var byteCount: Int { pages.count * 2 * keyValueHeads * pageSize * headDim * 4 }
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

    /// A cache that holds nothing and fits no model: a placeholder for an unused batch slot.
    public static var empty: ModelCache { ModelCache(layers: []) }

    private init(layers: [LayerCache]) {
        self.layers = layers
    }

    /// Bytes held by the cache (KV grows with the sequence; lightning states do not).
    public var byteCount: Int {
        layers.reduce(0) { total, layer in
            switch layer {
            case .keyValue(let kv): return total + kv.byteCount
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

extension LayerCache {
    /// Runs `body` on a lightning layer's state [H, d, d] in place; throws for a KV cache.
    mutating func withLinearState<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) throws -> R {
        try mutate(
            keyValue: { _ in throw ModelError.cacheMismatch },
            linear: { state in try state.state.withUnsafeMutableBufferPointer { try body($0.baseAddress!) } })
    }

    /// Runs `body` on a softmax layer's KV cache in place; throws for a lightning state.
    mutating func withKeyValues<R>(_ body: (inout KeyValueCache) throws -> R) throws -> R {
        try mutate(keyValue: { try body(&$0) }, linear: { _ in throw ModelError.cacheMismatch })
    }
}
