import Foundation
import Generation
import Serving

/// A fake engine for the HTTP tests: each job emits the scripted pieces of text as tokens (one
/// token per piece, id 72 = "H" whatever the text), honouring `maxNewTokens`, then finishes.
/// Records every job it accepts and every cancellation.
final class ScriptedService: GenerationService, @unchecked Sendable {
    enum Behaviour {
        /// Emit these pieces, then finish with `.stop`.
        case script([String])
        /// Emit the first piece, then wait until cancelled (or 3 s, so a server that misses the
        /// cancellation fails its test instead of hanging it; that end counts as not cancelled).
        case hangAfter(String)
        /// Refuse every job at `submit`.
        case refuse(ServiceError)
        /// Emit the pieces, then fail the job.
        case failAfter([String], ServiceError)
    }

    let maxContext: Int
    private let lock = NSLock()
    private var behaviourValue: Behaviour
    private var jobs: [GenerationJob] = []
    private var runningCount = 0
    private var cancelCount = 0

    init(_ behaviour: Behaviour = .script(["Hello", " world"]), maxContext: Int = 4096) {
        self.behaviourValue = behaviour
        self.maxContext = maxContext
    }

    var behaviour: Behaviour {
        get { lock.withLock { behaviourValue } }
        set { lock.withLock { behaviourValue = newValue } }
    }

    var submitted: [GenerationJob] { lock.withLock { jobs } }
    var cancellations: Int { lock.withLock { cancelCount } }

    var status: EngineStatus {
        lock.withLock { EngineStatus(running: runningCount, waiting: 0, kvPagesUsed: runningCount, kvPagesTotal: 64) }
    }

    func submit(_ job: GenerationJob) throws -> GenerationStream {
        let behaviour = self.behaviour
        if case .refuse(let error) = behaviour { throw error }
        lock.withLock {
            jobs.append(job)
            runningCount += 1
        }
        let (events, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let state = JobState()
        let task = Task { [self] in
            var generated = 0
            func emit(_ piece: String) {
                let id = 72
                generated += 1
                let wantsLogprobs = job.topLogprobs != nil
                continuation.yield(.token(GeneratedToken(
                    id: id, text: piece, logprob: wantsLogprobs ? TokenLogprob(id: id, logprob: -0.25) : nil,
                    topLogprobs: (0..<(job.topLogprobs ?? 0)).map { TokenLogprob(id: 72 + $0, logprob: -0.25 - Double($0)) })))
            }
            func finish(_ reason: FinishReason, cancelled: Bool = false) {
                lock.withLock { runningCount -= 1 }
                continuation.yield(.finished(GenerationSummary(
                    finishReason: reason, cancelled: cancelled, promptTokens: job.promptIDs.count,
                    completionTokens: generated, trailingText: "", queueSeconds: 0, firstTokenSeconds: 0, totalSeconds: 0)))
                continuation.finish()
            }
            let limit = job.stop.maxNewTokens ?? Int.max
            switch behaviour {
            case .script(let pieces), .failAfter(let pieces, _):
                for piece in pieces {
                    if generated == limit { return finish(.length) }
                    if state.isCancelled { return finish(.stop, cancelled: true) }
                    emit(piece)
                    await Task.yield()
                }
                if case .failAfter(_, let error) = behaviour {
                    lock.withLock { runningCount -= 1 }
                    return continuation.finish(throwing: error)
                }
                finish(.stop)
            case .hangAfter(let piece):
                emit(piece)
                let deadline = ContinuousClock.now + .seconds(3)
                while !state.isCancelled, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
                finish(.stop, cancelled: state.isCancelled)
            case .refuse:
                break
            }
        }
        _ = task
        return GenerationStream(events: events) { [self] in
            if state.cancel() { lock.withLock { cancelCount += 1 } }
        }
    }

    /// A job's cancel flag, counted once.
    private final class JobState: @unchecked Sendable {
        private let lock = NSLock()
        private var cancelled = false

        var isCancelled: Bool { lock.withLock { cancelled } }

        /// True the first time.
        func cancel() -> Bool {
            lock.withLock {
                defer { cancelled = true }
                return !cancelled
            }
        }
    }
}
