/// Limits of a `BatchEngine`.
public struct EngineOptions: Sendable, Equatable {
    /// Sequences running at once (the rest wait in the queue).
    public var maxBatch: Int = 8
    /// Requests waiting beyond the running ones; more are refused with `ServiceError.queueFull`.
    public var maxQueue: Int = 256
    /// Most prompt tokens fed to the model in one step: a long newcomer delays the running streams
    /// by at most this many tokens of prefill per step. Each prompt is cut into chunks of this size
    /// from its start (256 is `TextGenerator`'s chunk, so `minimax generate` and the server run the
    /// same chunks and give the same bits; a multiple of the lightning block size, so chunking never
    /// moves a block boundary).
    public var prefillChunk: Int = 256
    /// Most tokens (prompt + generated) per sequence; nil: the model's `max_position_embeddings`.
    public var maxContext: Int? = nil
    /// Tokens of softmax-attention KV memory for all sequences together, in pages of 256 tokens;
    /// nil: a quarter of the machine's memory.
    public var kvTokenBudget: Int? = nil

    public init() {}

    public func validate() throws {
        func check(_ value: Int, _ name: String, atLeast minimum: Int) throws {
            guard value >= minimum else {
                throw ServiceError.invalidParameter(name: name, reason: "must be at least \(minimum), got \(value)")
            }
        }
        try check(maxBatch, "maxBatch", atLeast: 1)
        try check(maxQueue, "maxQueue", atLeast: 0)
        try check(prefillChunk, "prefillChunk", atLeast: 1)
        if let maxContext { try check(maxContext, "maxContext", atLeast: 2) }
        if let kvTokenBudget { try check(kvTokenBudget, "kvTokenBudget", atLeast: 1) }
    }
}
