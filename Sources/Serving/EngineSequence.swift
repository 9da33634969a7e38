import Dispatch
import Generation
import Tokenization

/// One job inside the engine: its tokens so far, its sampler, its visible-text stream, and
/// where its output goes. Touched only by the engine thread once admitted.
final class EngineSequence {
    let id: Int
    let job: GenerationJob
    let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    var sampler: Sampler
    /// Detokenizer and stop rules.
    var visible: VisibleTextStream
    /// Prompt, then every generated token.
    var tokens: [Int]
    let promptCount: Int
    /// Tokens in the cache (the next row's position).
    var processed = 0
    /// The cache slot while running.
    var slot: Int?
    /// Order of admission (for preemption: the newest goes first).
    var admitted = 0
    /// Generated-token counts, for the penalties.
    var counts: [Int: Int] = [:]
    /// Set once the job has ended (finished, failed or cancelled); its slot is freed at the next sweep.
    var ended = false

    let submitted: UInt64
    var firstScheduled: UInt64?
    var firstToken: UInt64?
    var lastToken: UInt64?

    init(id: Int, job: GenerationJob, tokenizer: Tokenizer?,
         continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation) throws {
        self.id = id
        self.job = job
        self.continuation = continuation
        sampler = try Sampler(parameters: job.sampling)
        visible = try VisibleTextStream(tokenizer: tokenizer, stop: job.stop)
        tokens = job.promptIDs
        promptCount = job.promptIDs.count
        submitted = DispatchTime.now().uptimeNanoseconds
    }

    var generatedCount: Int { tokens.count - promptCount }

    var plannerView: StepPlanner.Sequence {
        StepPlanner.Sequence(processed: processed, total: tokens.count, admitted: admitted)
    }
}
