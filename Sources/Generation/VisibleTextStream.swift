import Tokenization

/// Sampled tokens → the text a user may see: the streaming detokenizer (never half a UTF-8
/// character) and the stop rules (never part of a stop string), shared by `TextGenerator` and the
/// server's engine so both release exactly the same text.
///
/// Call order: `append` per sampled token until a step carries a finish reason; if generation ends
/// for another reason (the caller stopped, the context is full), `flush` once for what was held
/// back. After a finishing step there is nothing left to flush.
public struct VisibleTextStream {
    private let tokenizer: Tokenizer?
    private var detokenizer: StreamingDetokenizer?
    private var stopper: StopEvaluator
    private var finished = false

    /// Without a tokenizer every token releases "" (ids in, ids out).
    public init(tokenizer: Tokenizer?, stop: StopConditions) throws {
        self.tokenizer = tokenizer
        detokenizer = tokenizer.map { StreamingDetokenizer(tokenizer: $0, skipSpecialTokens: true) }
        stopper = try StopEvaluator(conditions: stop)
    }

    /// The text `token` releases and, on the last token, why generation ends.
    public mutating func append(_ token: SampledToken) throws -> StopStep {
        // Ids the tokenizer does not know (a model's vocabulary is often padded past the
        // tokenizer's) produce no text.
        let piece = tokenizer?.token(of: token.id) == nil ? "" : try detokenizer?.append(token.id) ?? ""
        var step = stopper.append(tokenID: token.id, probability: token.probability, text: piece)
        if let reason = step.finishReason {
            finished = true
            // Bytes still inside the detokenizer belong to the output unless eos or a stop string
            // ended it.
            if reason != .stop { step.text += try detokenizer?.finish() ?? "" }
        }
        return step
    }

    /// Text held back when generation ends from outside: a partial stop string that turned out not
    /// to be one, the detokenizer's last bytes.
    public mutating func flush() throws -> String {
        guard !finished else { return "" }
        finished = true
        return stopper.flush() + (try detokenizer?.finish() ?? "")
    }
}
