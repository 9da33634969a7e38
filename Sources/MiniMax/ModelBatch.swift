/// The rows of one batched forward pass (llama.cpp's `llama_batch`): each row is one token of one
/// sequence at one position, and says whether its logits are wanted. `sequence` indexes the array
/// of caches given to `MiniMaxModel.forward(_:caches:)`. A sequence's rows must continue its cache:
/// positions `cache.position`, `cache.position + 1`, … in the order they appear (they need not be
/// adjacent in the batch). A step may mix one-row sequences (decoding) with chunks of prompts.
///
/// Whatever else is in the batch and wherever its rows fall, a sequence's logits are bit for bit
/// the same as when it runs alone with the same rows: a sequence with one row is reduced in the
/// row-wise (matrix-vector) order, a sequence with several rows in the tiled order, whatever the
/// other sequences do.
public struct ModelBatch: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var token: Int
        public var sequence: Int
        public var position: Int
        public var wantsLogits: Bool

        public init(token: Int, sequence: Int, position: Int, wantsLogits: Bool) {
            self.token = token
            self.sequence = sequence
            self.position = position
            self.wantsLogits = wantsLogits
        }
    }

    public private(set) var rows: [Row] = []

    public init() {}

    public mutating func add(token: Int, sequence: Int, position: Int, wantsLogits: Bool) {
        rows.append(Row(token: token, sequence: sequence, position: position, wantsLogits: wantsLogits))
    }

    /// Adds `tokens` of `sequence` at consecutive positions from `firstPosition`; only the last
    /// row's logits are wanted when `logitsForLast` (a prompt chunk, or one decode token).
    public mutating func add(tokens: some Collection<Int>, sequence: Int, firstPosition: Int, logitsForLast: Bool = true) {
        for (i, token) in tokens.enumerated() {
            add(token: token, sequence: sequence, position: firstPosition + i,
                wantsLogits: logitsForLast && i == tokens.count - 1)
        }
    }

    public var isEmpty: Bool { rows.isEmpty }
    /// Rows of the logits matrix a forward pass returns (the rows that want logits, in batch order).
    public var logitRowCount: Int { rows.reduce(0) { $0 + ($1.wantsLogits ? 1 : 0) } }
}

/// One sequence's rows inside a forward pass: internal rows `firstRow ..< firstRow + count`,
/// positions `cache.position ..< cache.position + count` of `caches[cache]`.
struct RowSegment {
    var cache: Int
    var firstRow: Int
    var count: Int
}

/// How the rows of one forward pass are laid out internally: the segments of single-row sequences
/// first (rows `0 ..< singleRows`, reduced row-wise), then the multi-row ones (tiled). The LM head
/// runs over `headRows` (internal rows) in the same arrangement: rows of sequences that want one
/// logit row first (`headSingleRows` of them), each writing logits row `headDestinations[i]`.
struct RowLayout {
    let rows: Int
    let singleRows: Int
    let segments: UnsafeBufferPointer<RowSegment>
    let headRows: UnsafeBufferPointer<Int>
    let headSingleRows: Int
    let headDestinations: UnsafeBufferPointer<Int>
}
