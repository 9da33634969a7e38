import Foundation
import Hummingbird
import Serving

/// The jobs of one request (one per choice), submitted together and cancelled together when the
/// client goes away.
final class JobSet: @unchecked Sendable {
    let streams: [GenerationStream]
    private let lock = NSLock()
    private var finished: [Bool]
    private var cancelled = false

    private init(streams: [GenerationStream]) {
        self.streams = streams
        finished = Array(repeating: false, count: streams.count)
    }

    /// Submits every job, or none: if one is refused, those already accepted are cancelled.
    static func submit(_ jobs: [GenerationJob], to service: any GenerationService) throws -> JobSet {
        var streams: [GenerationStream] = []
        do {
            for job in jobs { streams.append(try service.submit(job)) }
        } catch {
            for stream in streams { stream.cancel() }
            throw error
        }
        return JobSet(streams: streams)
    }

    var count: Int { streams.count }

    func markFinished(_ choice: Int) {
        lock.withLock { finished[choice] = true }
    }

    /// Cancels every job that has not finished (once; later calls do nothing).
    func cancelUnfinished() {
        let toCancel: [GenerationStream] = lock.withLock {
            guard !cancelled else { return [] }
            cancelled = true
            return zip(streams, finished).filter { !$0.1 }.map(\.0)
        }
        for stream in toCancel { stream.cancel() }
    }

    /// Every job's events tagged with its choice index, in the order they arrive.
    func events() -> AsyncThrowingStream<(Int, GenerationEvent), Error> {
        let (merged, continuation) = AsyncThrowingStream<(Int, GenerationEvent), Error>.makeStream()
        let streams = self.streams
        let pump = Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (choice, stream) in streams.enumerated() {
                        group.addTask {
                            for try await event in stream { continuation.yield((choice, event)) }
                        }
                    }
                    try await group.waitForAll()
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        return merged
    }

    /// Runs `operation` (which consumes the events) and cancels the unfinished jobs if the client
    /// closes its connection, the task is cancelled, or `operation` throws (a failed write).
    /// `request` must hold its collected body (`Request.collectBody`).
    func cancellingOnDisconnect<T: Sendable>(
        _ request: Request, _ operation: () async throws -> T
    ) async throws -> T {
        do {
            let value = try await withTaskCancellationHandler {
                try await request.body.consumeWithInboundCloseHandler { _ in
                    try await operation()
                } onInboundClosed: { [self] in
                    cancelUnfinished()
                }
            } onCancel: { [self] in
                cancelUnfinished()
            }
            return value
        } catch {
            cancelUnfinished()
            throw error
        }
    }
}
