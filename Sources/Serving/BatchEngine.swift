import CoreMetrics
import Dispatch
import Foundation
import Generation
import Kernels
import Metrics
import MiniMax
import Tensors
import Tokenization

/// Continuous batching over one model: jobs join and leave the running batch between steps, and
/// each step is one batched forward pass (`MiniMaxModel.forward(_:caches:)`) over the decode rows
/// of every running sequence plus prompt chunks of newcomers (see `StepPlanner`).
///
/// The model runs on one engine thread, which owns the kernels' worker pool; `submit` only
/// validates and enqueues, so callers (HTTP handlers) never wait on the model. A sequence's
/// tokens are the same bits whatever else runs (greedy results are reproducible under load), and
/// equal to `TextGenerator`'s for the same prompt, sampling and seed — except after a preemption,
/// which recomputes the sequence's cache from its tokens in prompt-sized chunks.
///
/// Call `shutdown()` when done: the engine thread holds the engine.
public final class BatchEngine: GenerationService, @unchecked Sendable {
    public let bundle: ModelBundle
    public let options: EngineOptions
    public let maxContext: Int
    let budget: KeyValuePageBudget
    let metrics: EngineMetrics

    // Shared with callers, guarded by `condition`.
    private let condition = NSCondition()
    private var waiting: [EngineSequence] = []
    private var live: Set<Int> = []
    private var cancelledIDs: Set<Int> = []
    private var nextID = 0
    private var stopping = false
    private var currentStatus: EngineStatus
    private let stopped = DispatchSemaphore(value: 0)

    // The engine thread's own.
    private var running: [EngineSequence] = []
    private var caches: [ModelCache]
    private var freeSlots: [Int]
    private var admissions = 0
    /// Preemptions so far (engine thread; for tests and diagnostics).
    private(set) var preemptionCount = 0

    /// `metricsFactory`: where measurements go (default: the process's `MetricsSystem` backend,
    /// which must be bootstrapped before the engine is made).
    public init(bundle: ModelBundle, options: EngineOptions = EngineOptions(), metricsFactory: MetricsFactory? = nil) throws {
        try options.validate()
        self.bundle = bundle
        self.options = options
        let c = bundle.model.configuration
        maxContext = min(options.maxContext ?? c.maxPositionEmbeddings, c.maxPositionEmbeddings)
        let softmaxLayers = c.layerKinds.filter { $0 == .softmax }.count
        let pageSize = KeyValueCache(keyValueHeads: c.keyValueHeadCount, headDim: c.headDim).pageSize
        let bytesPerPage = softmaxLayers * 2 * c.keyValueHeadCount * c.headDim * pageSize * 4
        let totalPages: Int
        if let tokens = options.kvTokenBudget {
            totalPages = (tokens + pageSize - 1) / pageSize
        } else {
            let quarter = Int(min(ProcessInfo.processInfo.physicalMemory / 4, UInt64(Int.max)))
            totalPages = bytesPerPage == 0 ? Int.max : max(1, quarter / bytesPerPage)
        }
        budget = KeyValuePageBudget(pageSize: pageSize, totalPages: totalPages, bytesPerPage: bytesPerPage)
        metrics = EngineMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        // A slot's cache is made when a job takes it (a real M1 sequence holds ~300 MB of lightning state).
        caches = [ModelCache](repeating: .empty, count: options.maxBatch)
        freeSlots = Array((0..<options.maxBatch).reversed())
        currentStatus = EngineStatus(running: 0, waiting: 0, kvPagesUsed: 0, kvPagesTotal: totalPages)
        metrics.kvPagesTotal.record(totalPages == Int.max ? 0 : totalPages)
        let thread = Thread { [self] in run() }
        thread.name = "minimax-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    public var status: EngineStatus {
        condition.lock()
        defer { condition.unlock() }
        return currentStatus
    }

    /// Fails waiting and running jobs with `ServiceError.shuttingDown` and stops the engine thread.
    public func shutdown() {
        condition.lock()
        let already = stopping
        stopping = true
        condition.broadcast()
        condition.unlock()
        if !already { stopped.wait() }
    }

    public func submit(_ job: GenerationJob) throws -> GenerationStream {
        var job = job
        try validate(&job)
        let (events, continuation) = AsyncThrowingStream.makeStream(
            of: GenerationEvent.self, throwing: Error.self, bufferingPolicy: .unbounded)
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw ServiceError.shuttingDown }
        // Running and waiting jobs together: at most a full batch plus the queue.
        guard live.count < options.maxBatch + options.maxQueue else { throw ServiceError.queueFull(limit: options.maxQueue) }
        let id = nextID
        nextID += 1
        let sequence: EngineSequence
        do {
            sequence = try EngineSequence(id: id, job: job, tokenizer: bundle.tokenizer, continuation: continuation)
        } catch {
            throw ServiceError.invalidParameter(name: "sampling", reason: "\(error)")
        }
        waiting.append(sequence)
        live.insert(id)
        currentStatus.waiting = waiting.count
        continuation.onTermination = { [weak self] _ in self?.cancel(id) }
        condition.signal()
        return GenerationStream(events: events, cancel: { [weak self] in self?.cancel(id) })
    }

    /// Marks a job cancelled; the engine drops it at its next step.
    func cancel(_ id: Int) {
        condition.lock()
        if live.contains(id) {
            cancelledIDs.insert(id)
            condition.signal()
        }
        condition.unlock()
    }

    /// Checks a job against the model and the engine's limits; fills in `maxNewTokens` when unset
    /// (the room left in the context and in the KV budget).
    private func validate(_ job: inout GenerationJob) throws {
        let vocabulary = bundle.model.configuration.vocabularySize
        let prompt = job.promptIDs.count
        guard prompt > 0 else { throw ServiceError.invalidParameter(name: "prompt", reason: "is empty (no tokens)") }
        if let i = job.promptIDs.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
            throw ServiceError.invalidParameter(
                name: "prompt", reason: "token \(i) has id \(job.promptIDs[i]), outside the vocabulary 0..<\(vocabulary)")
        }
        // Unset: as many as the context and the KV budget allow.
        let room = min(maxContext, budget.maxTokensPerSequence) - prompt
        let maxNew = job.stop.maxNewTokens ?? max(1, room)
        guard maxNew >= 1 else {
            throw ServiceError.invalidParameter(name: "max_tokens", reason: "must be at least 1, got \(maxNew)")
        }
        guard prompt <= maxContext - maxNew else {
            throw ServiceError.contextExceeded(promptTokens: prompt, maxNewTokens: maxNew, context: maxContext)
        }
        guard budget.pages(forTokens: prompt + maxNew) <= budget.totalPages else {
            throw ServiceError.exceedsMemory(tokens: prompt + maxNew, budgetTokens: budget.maxTokensPerSequence)
        }
        job.stop.maxNewTokens = maxNew
        if let top = job.topLogprobs, !(0...20).contains(top) {
            throw ServiceError.invalidParameter(name: "top_logprobs", reason: "must be between 0 and 20, got \(top)")
        }
        for (name, value) in [("presence_penalty", job.presencePenalty), ("frequency_penalty", job.frequencyPenalty)] {
            guard value.isFinite, (-2...2).contains(value) else {
                throw ServiceError.invalidParameter(name: name, reason: "must be between -2 and 2, got \(value)")
            }
        }
        do {
            try job.sampling.validate()
            try job.stop.validate()
        } catch let error as SamplingError {
            if case .invalidParameter(let name, let value, let reason) = error {
                throw ServiceError.invalidParameter(name: name, reason: "\(value): \(reason)")
            }
            throw ServiceError.invalidParameter(name: "sampling", reason: "\(error)")
        } catch let error as StopConditionError {
            if case .invalidParameter(let name, let reason) = error { throw ServiceError.invalidParameter(name: name, reason: reason) }
            throw ServiceError.invalidParameter(name: "stop", reason: "\(error)")
        }
    }

    // MARK: The engine thread

    private func run() {
        while true {
            condition.lock()
            while !stopping && waiting.isEmpty && running.isEmpty && cancelledIDs.isEmpty { condition.wait() }
            if stopping {
                let abandoned = waiting + running
                waiting = []
                condition.unlock()
                for sequence in abandoned { sequence.continuation.finish(throwing: ServiceError.shuttingDown) }
                running = []
                stopped.signal()
                return
            }
            let cancelled = cancelledIDs
            cancelledIDs = []
            var dropped: [EngineSequence] = []
            waiting.removeAll { sequence in
                guard cancelled.contains(sequence.id) else { return false }
                dropped.append(sequence)
                return true
            }
            admit()
            condition.unlock()

            for sequence in dropped { finish(sequence, reason: .stop, cancelled: true) }
            for sequence in running where cancelled.contains(sequence.id) {
                finish(sequence, reason: .stop, cancelled: true)
            }
            removeFinished()
            if !running.isEmpty { step() }
            publishStatus()
        }
    }

    /// Moves waiting jobs into free slots while their tokens fit the KV budget beside the pages the
    /// running ones will hold once prefilled. Called with the lock held.
    private func admit() {
        var reserved = running.reduce(0) { $0 + budget.pages(forTokens: $1.tokens.count) }
        while let next = waiting.first, let slot = freeSlots.last {
            let pages = budget.pages(forTokens: next.tokens.count)
            guard running.isEmpty || reserved + pages <= budget.totalPages else { break }
            waiting.removeFirst()
            freeSlots.removeLast()
            next.slot = slot
            caches[slot] = bundle.model.makeCache()
            next.admitted = admissions
            admissions += 1
            running.append(next)
            reserved += pages
        }
    }

    /// One batched forward pass and the sampling after it.
    private func step() {
        let plan = StepPlanner.plan(running.map(\.plannerView), budget: budget, prefillChunk: options.prefillChunk)
        let scheduled = plan.entries.map { (sequence: running[$0.sequence], entry: $0) }
        var batch = ModelBatch()
        let now = DispatchTime.now().uptimeNanoseconds
        for (sequence, entry) in scheduled {
            batch.add(tokens: sequence.tokens[entry.start..<(entry.start + entry.count)], sequence: sequence.slot!,
                      firstPosition: entry.start, logitsForLast: entry.sampling)
            if sequence.firstScheduled == nil {
                sequence.firstScheduled = now
                metrics.queueTime.recordNanoseconds(now - sequence.submitted)
            }
        }
        preempt(plan.preempted.map { running[$0] })
        guard !batch.isEmpty else { return }
        let logits: Matrix
        do {
            logits = try bundle.model.forward(batch, caches: &caches)
        } catch {
            for (sequence, _) in scheduled { fail(sequence, ServiceError.engineFailure("\(error)")) }
            removeFinished()
            return
        }
        var sampling: [EngineSequence] = []
        for (sequence, entry) in scheduled {
            sequence.processed += entry.count
            if entry.sampling { sampling.append(sequence) }
        }
        // Choosing tokens is independent per sequence: spread it over the worker threads.
        var choices = [TokenChoice?](repeating: nil, count: sampling.count)
        choices.withUnsafeMutableBufferPointer { choices in
            let out = choices
            Parallel.forEachRange(sampling.count) { range in
                for i in range { out[i] = Self.choose(for: sampling[i], logits: Array(logits.row(i))) }
            }
        }
        for (sequence, choice) in zip(sampling, choices) { emit(choice!, for: sequence) }
        removeFinished()
    }

    /// Drops the caches of `victims` and puts them back at the head of the queue (oldest first),
    /// to be prefilled again from their tokens.
    private func preempt(_ victims: [EngineSequence]) {
        guard !victims.isEmpty else { return }
        for sequence in victims {
            caches[sequence.slot!] = .empty
            freeSlots.append(sequence.slot!)
            sequence.slot = nil
            sequence.processed = 0
            metrics.preemptions.increment()
            preemptionCount += 1
        }
        let ids = Set(victims.map(\.id))
        running.removeAll { ids.contains($0.id) }
        condition.lock()
        waiting.insert(contentsOf: victims.sorted { $0.admitted < $1.admitted }, at: 0)
        condition.unlock()
    }

    /// A sampled token with its log-probabilities, or why sampling failed.
    struct TokenChoice {
        var token: SampledToken?
        var logprob: TokenLogprob?
        var top: [TokenLogprob] = []
        var failure: String?
    }

    /// The next token from `logits` [V] after the penalties. Touches only `sequence`'s sampler, so
    /// sequences can choose on different threads.
    static func choose(for sequence: EngineSequence, logits raw: [Float]) -> TokenChoice {
        var logits = raw
        let job = sequence.job
        TokenPenalties.applyPresenceAndFrequency(&logits, counts: sequence.counts, presence: job.presencePenalty, frequency: job.frequencyPenalty)
        var choice = TokenChoice()
        do {
            let token = try sequence.sampler.sample(logits: logits)
            choice.token = token
            if let k = job.topLogprobs { (choice.logprob, choice.top) = TokenScoring.logprobs(logits, id: token.id, top: k) }
        } catch {
            choice.failure = "sampling: \(error)"
        }
        return choice
    }

    /// Streams a chosen token and applies the stop rules.
    private func emit(_ choice: TokenChoice, for sequence: EngineSequence) {
        guard let token = choice.token else {
            fail(sequence, ServiceError.engineFailure(choice.failure ?? "sampling failed"))
            return
        }
        let logprob = choice.logprob, top = choice.top
        sequence.tokens.append(token.id)
        sequence.counts[token.id, default: 0] += 1
        metrics.generationTokens.increment()
        let now = DispatchTime.now().uptimeNanoseconds
        if let last = sequence.lastToken {
            metrics.interTokenLatency.recordNanoseconds(now - last)
        } else {
            sequence.firstToken = now
            metrics.timeToFirstToken.recordNanoseconds(now - sequence.submitted)
        }
        sequence.lastToken = now

        do {
            let step = try sequence.visible.append(token)
            sequence.continuation.yield(.token(GeneratedToken(id: token.id, text: step.text, logprob: logprob, topLogprobs: top)))
            if let reason = step.finishReason {
                finish(sequence, reason: reason, cancelled: false)
            } else if sequence.tokens.count >= maxContext {
                finish(sequence, reason: .length, cancelled: false)
            }
        } catch {
            fail(sequence, ServiceError.engineFailure("detokenizing: \(error)"))
        }
    }

    /// Ends a job: the summary event, then the stream's end; frees its slot at `removeFinished`.
    private func finish(_ sequence: EngineSequence, reason: FinishReason, cancelled: Bool) {
        guard live(sequence) else { return }
        let trailing = (try? sequence.visible.flush()) ?? ""
        let now = DispatchTime.now().uptimeNanoseconds
        func seconds(_ t: UInt64?) -> Double { t.map { Double($0 &- sequence.submitted) / 1e9 } ?? 0 }
        let summary = GenerationSummary(
            finishReason: reason, cancelled: cancelled, promptTokens: sequence.promptCount,
            completionTokens: sequence.generatedCount, trailingText: trailing, queueSeconds: seconds(sequence.firstScheduled),
            firstTokenSeconds: seconds(sequence.firstToken), totalSeconds: seconds(now))
        sequence.continuation.yield(.finished(summary))
        sequence.continuation.finish()
        metrics.endToEndLatency.recordNanoseconds(now - sequence.submitted)
        metrics.promptTokens.increment(by: sequence.promptCount)
        metrics.requestFinished(reason: cancelled ? "abort" : reason.rawValue)
    }

    private func fail(_ sequence: EngineSequence, _ error: ServiceError) {
        guard live(sequence) else { return }
        sequence.continuation.finish(throwing: error)
        metrics.requestFinished(reason: "error")
    }

    /// Marks the job ended (false if it already was).
    private func live(_ sequence: EngineSequence) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !sequence.ended else { return false }
        sequence.ended = true
        live.remove(sequence.id)
        cancelledIDs.remove(sequence.id)
        return true
    }

    /// Frees the slots of running sequences that have ended.
    private func removeFinished() {
        running.removeAll { sequence in
            guard sequence.ended else { return false }
            if let slot = sequence.slot {
                caches[slot] = .empty
                freeSlots.append(slot)
                sequence.slot = nil
            }
            return true
        }
    }

    private func publishStatus() {
        let pages = running.reduce(0) { $0 + budget.pages(forTokens: $1.processed) }
        condition.lock()
        let waitingCount = waiting.count
        currentStatus = EngineStatus(
            running: running.count, waiting: waitingCount, kvPagesUsed: pages, kvPagesTotal: budget.totalPages)
        condition.unlock()
        metrics.running.record(running.count)
        metrics.waiting.record(waitingCount)
        metrics.kvPagesUsed.record(pages)
    }
}
