import Generation

/// What a client asks the engine for: one sequence's generation. The HTTP layer turns an OpenAI
/// request into one job per choice (`n` jobs for `n` choices).
public struct GenerationJob: Sendable {
    /// [P] prompt token ids, already rendered with the chat template when chatting.
    public var promptIDs: [Int]
    public var sampling: SamplingParameters
    /// End-of-sequence ids, stop strings, max new tokens, repetition guard.
    public var stop: StopConditions
    /// OpenAI's penalties, applied to the logits before sampling:
    /// logit −= presence · [count > 0] + frequency · count, counting the tokens generated so far.
    public var presencePenalty: Double
    public var frequencyPenalty: Double
    /// nil: no log-probabilities. k ≥ 0: each token carries its log-probability and the k most
    /// likely alternatives (OpenAI's `logprobs: true, top_logprobs: k`).
    public var topLogprobs: Int?

    public init(
        promptIDs: [Int], sampling: SamplingParameters = .greedy, stop: StopConditions = StopConditions(),
        presencePenalty: Double = 0, frequencyPenalty: Double = 0, topLogprobs: Int? = nil
    ) {
        self.promptIDs = promptIDs
        self.sampling = sampling
        self.stop = stop
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.topLogprobs = topLogprobs
    }
}

/// A token id with its log-probability under the model's distribution (log-softmax of the logits
/// after penalties, before temperature and truncation).
public struct TokenLogprob: Equatable, Sendable {
    public let id: Int
    public let logprob: Double

    public init(id: Int, logprob: Double) {
        self.id = id
        self.logprob = logprob
    }
}

/// One generated token as the client sees it.
public struct GeneratedToken: Sendable {
    public let id: Int
    /// Text this token releases: never half a UTF-8 character, never part of a stop string (text
    /// that may still become one is held back and released with a later token). Often "".
    public let text: String
    /// Set when the job asked for log-probabilities.
    public let logprob: TokenLogprob?
    /// The `topLogprobs` most likely tokens at this step, most likely first.
    public let topLogprobs: [TokenLogprob]

    public init(id: Int, text: String, logprob: TokenLogprob?, topLogprobs: [TokenLogprob]) {
        self.id = id
        self.text = text
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

/// How a job ended.
public struct GenerationSummary: Sendable {
    /// `.stop` (end of sequence or a stop string), `.length` (max tokens or the context), `.repetition`.
    /// A cancelled job ends with `.stop` and `cancelled` set.
    public let finishReason: FinishReason
    public let cancelled: Bool
    public let promptTokens: Int
    public let completionTokens: Int
    /// Text still held back when generation ended (a partial stop-string prefix that turned out not
    /// to be one, the last bytes of the detokenizer). Append it after the last token's text.
    public let trailingText: String
    /// Seconds from submission to the first scheduled step, to the first token, and to the end.
    public let queueSeconds: Double
    public let firstTokenSeconds: Double
    public let totalSeconds: Double

    public init(
        finishReason: FinishReason, cancelled: Bool, promptTokens: Int, completionTokens: Int, trailingText: String,
        queueSeconds: Double, firstTokenSeconds: Double, totalSeconds: Double
    ) {
        self.finishReason = finishReason
        self.cancelled = cancelled
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.trailingText = trailingText
        self.queueSeconds = queueSeconds
        self.firstTokenSeconds = firstTokenSeconds
        self.totalSeconds = totalSeconds
    }
}

/// What a job's stream carries: tokens, then exactly one `.finished` (or the stream throws a
/// `ServiceError` if the engine failed the job after accepting it).
public enum GenerationEvent: Sendable {
    case token(GeneratedToken)
    case finished(GenerationSummary)
}

/// Why the engine refused or failed a job. Each case maps to one HTTP status.
public enum ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 400: a field of the job is invalid (name, reason).
    case invalidParameter(name: String, reason: String)
    /// 400: prompt + max new tokens exceed the context the server allows.
    case contextExceeded(promptTokens: Int, maxNewTokens: Int, context: Int)
    /// 400: the job can never fit in the KV memory budget.
    case exceedsMemory(tokens: Int, budgetTokens: Int)
    /// 503: the waiting queue is full.
    case queueFull(limit: Int)
    /// 503: the engine is stopping.
    case shuttingDown
    /// 500: the model failed on this job (a bug; the engine keeps serving others).
    case engineFailure(String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let reason): return "\(name): \(reason)"
        case .contextExceeded(let prompt, let maxNew, let context):
            return "the prompt has \(prompt) tokens and max_tokens is \(maxNew): \(prompt + maxNew) is more than the context of \(context) tokens"
        case .exceedsMemory(let tokens, let budget):
            return "the request needs \(tokens) tokens of KV memory, more than the server's budget of \(budget)"
        case .queueFull(let limit): return "the server is busy: \(limit) requests are already waiting; retry later"
        case .shuttingDown: return "the server is shutting down"
        case .engineFailure(let reason): return "generation failed: \(reason)"
        }
    }
}

/// A live job: iterate `events`; call `cancel()` (or stop iterating and drop the stream) when
/// the client goes away — the engine frees the job's slot at its next step.
public struct GenerationStream: AsyncSequence, Sendable {
    public typealias Element = GenerationEvent
    public let events: AsyncThrowingStream<GenerationEvent, Error>
    private let cancelAction: @Sendable () -> Void

    public init(events: AsyncThrowingStream<GenerationEvent, Error>, cancel: @escaping @Sendable () -> Void) {
        self.events = events
        self.cancelAction = cancel
    }

    public func cancel() { cancelAction() }

    public func makeAsyncIterator() -> AsyncThrowingStream<GenerationEvent, Error>.AsyncIterator {
        events.makeAsyncIterator()
    }
}

/// Counts the HTTP layer reads for `/health` and tests.
public struct EngineStatus: Equatable, Sendable {
    public var running: Int
    public var waiting: Int
    public var kvPagesUsed: Int
    public var kvPagesTotal: Int

    public init(running: Int, waiting: Int, kvPagesUsed: Int, kvPagesTotal: Int) {
        self.running = running
        self.waiting = waiting
        self.kvPagesUsed = kvPagesUsed
        self.kvPagesTotal = kvPagesTotal
    }
}

/// The engine as the HTTP layer sees it. `submit` validates the job against the engine's limits
/// and throws `ServiceError` at once (→ 4xx/503) or returns the job's stream; it never blocks on
/// the model.
public protocol GenerationService: AnyObject, Sendable {
    /// The most tokens (prompt + generated) one sequence may hold.
    var maxContext: Int { get }
    var status: EngineStatus { get }
    func submit(_ job: GenerationJob) throws -> GenerationStream
}
