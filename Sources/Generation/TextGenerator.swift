import Foundation
import MiniMax
import Tensors
import Tokenization

/// What to generate from one prompt.
public struct GenerationRequest: Sendable {
    /// [P] prompt token ids (already rendered with the chat template when chatting).
    public var promptIDs: [Int]
    public var sampling: SamplingParameters
    /// Applied to the logits before each draw (none by default).
    public var penalties: TokenPenalties
    public var stop: StopConditions
    /// The prompt already opened `<think>` (the parser then starts in reasoning).
    public var startsInsideThinking: Bool
    /// Prompt tokens fed per forward call (bounds activation memory on long prompts).
    public var prefillChunk: Int

    public init(
        promptIDs: [Int], sampling: SamplingParameters = .greedy, penalties: TokenPenalties = TokenPenalties(),
        stop: StopConditions = StopConditions(), startsInsideThinking: Bool = false, prefillChunk: Int = 256
    ) {
        self.promptIDs = promptIDs
        self.sampling = sampling
        self.penalties = penalties
        self.stop = stop
        self.startsInsideThinking = startsInsideThinking
        self.prefillChunk = prefillChunk
    }
}

/// The outcome of one generation.
public struct GenerationResult: Sendable {
    /// Everything shown to the user (stop strings excluded).
    public var text: String
    public var parsed: ParsedOutput
    /// Generated ids, including the end-of-sequence id when that ended it.
    public var tokenIDs: [Int]
    public var finishReason: FinishReason
    public var promptTokenCount: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
}

/// Problems with a request, found before any work is done.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case emptyPrompt
    case promptTooLong(tokens: Int, context: Int)
    case invalidParameter(name: String, reason: String)

    public var description: String {
        switch self {
        case .emptyPrompt: return "the prompt is empty (no tokens to condition on)"
        case .promptTooLong(let tokens, let context):
            return "the prompt has \(tokens) tokens, more than the model's context of \(context) (max_position_embeddings)"
        case .invalidParameter(let name, let reason): return "\(name): \(reason)"
        }
    }
}

/// Drives one sequence: chunked prefill, then sample → stop rules → detokenize → parse, one token
/// at a time, streaming text as it becomes safe to show (never half a UTF-8 character, a stop
/// string or a tag).
///
/// Call order: `generate(request, onDelta:, onToken:)`; `onToken` sees every sampled id (with or
/// without a tokenizer), `onDelta` every piece of visible text and the parser's split of it; either
/// returns false to stop early (Ctrl-C, a client that left).
public struct TextGenerator {
    public let model: MiniMaxModel
    /// Without a tokenizer only token ids are produced (text stays empty).
    public let tokenizer: Tokenizer?

    public init(model: MiniMaxModel, tokenizer: Tokenizer?) {
        self.model = model
        self.tokenizer = tokenizer
    }

    public func generate(
        _ request: GenerationRequest, onDelta: (String, OutputDelta) -> Bool = { _, _ in true },
        onToken: (Int) -> Bool = { _ in true }
    ) throws -> GenerationResult {
        let context = model.configuration.maxPositionEmbeddings
        guard !request.promptIDs.isEmpty else { throw GenerationError.emptyPrompt }
        guard request.promptIDs.count < context else {
            throw GenerationError.promptTooLong(tokens: request.promptIDs.count, context: context)
        }
        guard request.prefillChunk > 0 else {
            throw GenerationError.invalidParameter(name: "prefillChunk", reason: "must be at least 1")
        }
        var sampler = try Sampler(parameters: request.sampling)
        try request.penalties.validate()
        var history = request.promptIDs, counts: [Int: Int] = [:]
        var visible = try VisibleTextStream(tokenizer: tokenizer, stop: request.stop)
        var parser = AssistantOutputParser(startsInsideThinking: request.startsInsideThinking)
        var cache = model.makeCache()

        let prefillStart = Date()
        // logits: [V] of the last prompt token
        var logits = try model.prefill(request.promptIDs, cache: &cache, chunk: request.prefillChunk).data
        let prefillSeconds = Date().timeIntervalSince(prefillStart)

        let decodeStart = Date()
        var text = ""
        var generated: [Int] = []
        var finishReason: FinishReason = .length
        func emit(_ piece: String, finishing: Bool) -> Bool {
            var delta = parser.feed(piece)
            if finishing { delta.append(parser.finish()) }
            text += piece
            return piece.isEmpty && delta.isEmpty ? true : onDelta(piece, delta)
        }
        while true {
            let token: SampledToken
            if request.penalties.isNone {
                token = try sampler.sample(logits: logits)
            } else {
                var penalized = logits
                request.penalties.apply(&penalized, history: history, generatedCounts: counts)
                token = try sampler.sample(logits: penalized)
                history.append(token.id)
                counts[token.id, default: 0] += 1
            }
            generated.append(token.id)
            let wantsMore = onToken(token.id)
            let step = try visible.append(token)
            if let reason = step.finishReason {
                finishReason = reason
                _ = emit(step.text, finishing: true)
                break
            }
            let shown = emit(step.text, finishing: false)
            if !shown || !wantsMore {
                finishReason = .stop
                _ = emit(try visible.flush(), finishing: true)
                break
            }
            if cache.position >= context {
                finishReason = .length
                _ = emit(try visible.flush(), finishing: true)
                break
            }
            try logits.withUnsafeMutableBufferPointer { try model.decode(token.id, cache: &cache, logits: $0.baseAddress!) }
        }
        return GenerationResult(
            text: text, parsed: parser.output, tokenIDs: generated, finishReason: finishReason,
            promptTokenCount: request.promptIDs.count, prefillSeconds: prefillSeconds,
            decodeSeconds: Date().timeIntervalSince(decodeStart))
    }
}
