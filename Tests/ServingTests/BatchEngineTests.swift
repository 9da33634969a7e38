import Foundation
import Generation
import MiniMax
import TestSupport
import XCTest

@testable import Serving

final class BatchEngineTests: XCTestCase {
    struct Outcome: Equatable {
        var ids: [Int]
        var text: String
        var finishReason: FinishReason
    }

    func collect(_ stream: GenerationStream) async throws -> (outcome: Outcome, tokens: [GeneratedToken], summary: GenerationSummary) {
        try await Self.collect(stream)
    }

    static func collect(_ stream: GenerationStream) async throws -> (outcome: Outcome, tokens: [GeneratedToken], summary: GenerationSummary) {
        var tokens: [GeneratedToken] = []
        var summary: GenerationSummary?
        for try await event in stream {
            switch event {
            case .token(let token): tokens.append(token)
            case .finished(let s): summary = s
            }
        }
        let s = try XCTUnwrap(summary)
        return (Outcome(ids: tokens.map(\.id), text: tokens.map(\.text).joined() + s.trailingText, finishReason: s.finishReason),
                tokens, s)
    }

    func runAll(_ engine: BatchEngine, _ jobs: [GenerationJob]) async throws -> [Outcome] {
        let streams = try jobs.map { try engine.submit($0) }
        return try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            for (i, stream) in streams.enumerated() {
                group.addTask { (i, try await Self.collect(stream).outcome) }
            }
            var outcomes = [Outcome?](repeating: nil, count: jobs.count)
            for try await (i, outcome) in group { outcomes[i] = outcome }
            return outcomes.map { $0! }
        }
    }

    func job(_ prompt: [Int], sampling: SamplingParameters, maxTokens: Int, eos: Set<Int>) -> GenerationJob {
        Self.job(prompt, sampling: sampling, maxTokens: maxTokens, eos: eos)
    }

    static func job(_ prompt: [Int], sampling: SamplingParameters, maxTokens: Int, eos: Set<Int>) -> GenerationJob {
        GenerationJob(promptIDs: prompt, sampling: sampling, stop: StopConditions(endOfSequenceTokenIDs: eos, maxNewTokens: maxTokens))
    }

    /// Greedy and seeded sampling through the engine, alone or among many other requests, give
    /// exactly what `TextGenerator` (`minimax generate`) gives.
    func testJobsMatchTextGeneratorWhateverRunsBesideThem() async throws {
        let bundle = try TinyModel.bundle()
        let eos = bundle.defaults.endOfSequence
        let prompts = [Array("Hello there".utf8).map(Int.init), [65], (0..<520).map { 32 + ($0 * 7) % 90 },
                       Array("<think>x".utf8).map(Int.init)]
        let samplings = [SamplingParameters.greedy, SamplingParameters(temperature: 1, topP: 0.9, seed: 7),
                         SamplingParameters(temperature: 0.7, topK: 20, seed: 11)]
        var jobs: [GenerationJob] = []
        var expected: [Outcome] = []
        let generator = TextGenerator(model: bundle.model, tokenizer: bundle.tokenizer)
        for prompt in prompts {
            for sampling in samplings {
                let j = job(prompt, sampling: sampling, maxTokens: 12, eos: eos)
                jobs.append(j)
                let r = try generator.generate(GenerationRequest(promptIDs: prompt, sampling: sampling, stop: j.stop))
                expected.append(Outcome(ids: r.tokenIDs, text: r.text, finishReason: r.finishReason))
            }
        }
        for (maxBatch, fillers) in [(1, 0), (8, 0), (32, 20)] {
            var options = EngineOptions()
            options.maxBatch = maxBatch
            let engine = try BatchEngine(bundle: bundle, options: options)
            defer { engine.shutdown() }
            var all = jobs
            var random = UInt64(maxBatch)
            for f in 0..<fillers {
                random = random &* 6364136223846793005 &+ 1442695040888963407
                let length = 1 + Int(random >> 60) * (f % 3 == 0 ? 12 : 1)
                all.insert(job((0..<length).map { 40 + ($0 + f) % 200 }, sampling: .init(temperature: 1, seed: UInt64(f)),
                               maxTokens: 5 + f % 9, eos: []), at: (f * 7) % (all.count + 1))
            }
            let outcomes = try await runAll(engine, all)
            var matched = 0
            for (i, j) in all.enumerated() {
                guard let e = jobs.firstIndex(where: { $0.promptIDs == j.promptIDs && $0.sampling == j.sampling }) else { continue }
                XCTAssertEqual(outcomes[i], expected[e], "job \(e) with max batch \(maxBatch) and \(fillers) fillers")
                matched += 1
            }
            XCTAssertEqual(matched, jobs.count)
            try await waitUntil { engine.status.running == 0 }
        }
    }

    func testLogprobsDescribeTheChosenToken() async throws {
        let engine = try BatchEngine(bundle: try TinyModel.bundle())
        defer { engine.shutdown() }
        var j = job([72, 105], sampling: .greedy, maxTokens: 6, eos: [])
        j.topLogprobs = 3
        let (outcome, tokens, summary) = try await collect(try engine.submit(j))
        XCTAssertEqual(outcome.ids.count, 6)
        XCTAssertEqual(summary.completionTokens, 6)
        XCTAssertEqual(summary.promptTokens, 2)
        XCTAssertEqual(summary.finishReason, .length)
        for token in tokens {
            let logprob = try XCTUnwrap(token.logprob)
            XCTAssertEqual(token.topLogprobs.count, 3)
            XCTAssertEqual(token.topLogprobs[0].id, token.id, "greedy picks the most likely token")
            XCTAssertEqual(token.topLogprobs[0].logprob, logprob.logprob)
            XCTAssertLessThanOrEqual(logprob.logprob, 0)
            XCTAssertGreaterThanOrEqual(token.topLogprobs[0].logprob, token.topLogprobs[2].logprob)
        }
    }

    func testCancellingOrDroppingAStreamFreesItsSlot() async throws {
        var options = EngineOptions()
        options.maxBatch = 2
        let engine = try BatchEngine(bundle: try TinyModel.bundle(), options: options)
        defer { engine.shutdown() }
        let stream = try engine.submit(job([1, 2, 3], sampling: .greedy, maxTokens: 3000, eos: []))
        var iterator = stream.makeAsyncIterator()
        _ = try await iterator.next()
        stream.cancel()
        var summary: GenerationSummary?
        while let event = try await iterator.next() {
            if case .finished(let s) = event { summary = s }
        }
        XCTAssertEqual(summary?.cancelled, true)
        XCTAssertLessThan(summary?.completionTokens ?? 3000, 3000)

        // A consumer that walks away after one event.
        try await Self.readOneEventAndLeave(engine)
        try await waitUntil { engine.status.running == 0 && engine.status.waiting == 0 }
        // The engine still serves.
        let (outcome, _, _) = try await collect(try engine.submit(job([7], sampling: .greedy, maxTokens: 3, eos: [])))
        XCTAssertEqual(outcome.ids.count, 3)
    }

    func testRefusalsAreTypedAndImmediate() throws {
        var options = EngineOptions()
        options.maxBatch = 1
        options.maxQueue = 1
        options.maxContext = 100
        options.kvTokenBudget = 300
        let engine = try BatchEngine(bundle: try TinyModel.bundle(), options: options)
        defer { engine.shutdown() }
        func refusal(_ j: GenerationJob) -> ServiceError? {
            do { _ = try engine.submit(j); return nil } catch { return error as? ServiceError }
        }
        let g = SamplingParameters.greedy
        XCTAssertEqual(refusal(job([], sampling: g, maxTokens: 5, eos: [])), .invalidParameter(name: "prompt", reason: "is empty (no tokens)"))
        XCTAssertEqual(refusal(job([1, 300], sampling: g, maxTokens: 5, eos: [])),
                       .invalidParameter(name: "prompt", reason: "token 1 has id 300, outside the vocabulary 0..<300"))
        XCTAssertEqual(refusal(job(Array(repeating: 1, count: 90), sampling: g, maxTokens: 20, eos: [])),
                       .contextExceeded(promptTokens: 90, maxNewTokens: 20, context: 100))
        XCTAssertEqual(refusal(job([1], sampling: g, maxTokens: 0, eos: [])),
                       .invalidParameter(name: "max_tokens", reason: "must be at least 1, got 0"))
        XCTAssertEqual(refusal(job([1], sampling: .init(temperature: -1), maxTokens: 5, eos: [])),
                       .invalidParameter(name: "temperature", reason: "-1.0: must be finite and ≥ 0"))
        var j = job([1], sampling: g, maxTokens: 5, eos: [])
        j.topLogprobs = 21
        XCTAssertEqual(refusal(j), .invalidParameter(name: "top_logprobs", reason: "must be between 0 and 20, got 21"))
        j.topLogprobs = nil
        j.frequencyPenalty = 2.5
        XCTAssertEqual(refusal(j), .invalidParameter(name: "frequency_penalty", reason: "must be between -2 and 2, got 2.5"))

        // One running, one waiting, then the queue is full.
        let long = job([1, 2], sampling: g, maxTokens: 90, eos: [])
        let a = try engine.submit(long), b = try engine.submit(long)
        XCTAssertEqual(refusal(long), .queueFull(limit: 1))
        a.cancel()
        b.cancel()

        // 300 tokens of KV budget = 2 pages of 256: a 512-token job can never fit.
        var wide = EngineOptions()
        wide.kvTokenBudget = 300
        let small = try BatchEngine(bundle: try TinyModel.bundle(), options: wide)
        defer { small.shutdown() }
        XCTAssertThrowsError(try small.submit(job(Array(repeating: 1, count: 500), sampling: g, maxTokens: 100, eos: []))) {
            XCTAssertEqual($0 as? ServiceError, .exceedsMemory(tokens: 600, budgetTokens: 512))
        }
        // Without max_tokens a job gets the room the budget leaves (512 − 500 tokens), not the context's.
        let unbounded = try small.submit(GenerationJob(promptIDs: Array(repeating: 1, count: 500)))
        unbounded.cancel()
    }

    /// With room for three KV pages, four 300-token sequences cannot all stay: the newest is
    /// preempted, re-queued and finished later; every job still completes in full.
    func testPreemptionUnderATightKeyValueBudget() async throws {
        var options = EngineOptions()
        options.maxBatch = 4
        options.kvTokenBudget = 768
        options.prefillChunk = 128
        let engine = try BatchEngine(bundle: try TinyModel.bundle(), options: options)
        defer { engine.shutdown() }
        let jobs = (0..<4).map { i in job((0..<240).map { 33 + ($0 * (i + 3)) % 90 }, sampling: .greedy, maxTokens: 40, eos: []) }
        let outcomes = try await runAll(engine, jobs)
        for outcome in outcomes {
            XCTAssertEqual(outcome.ids.count, 40)
            XCTAssertEqual(outcome.finishReason, .length)
        }
        try await waitUntil { engine.status.running == 0 }
        XCTAssertGreaterThan(engine.preemptionCount, 0)
        XCTAssertEqual(engine.status.kvPagesUsed, 0)
    }

    func testShutdownFailsWaitingJobsAndRefusesNewOnes() async throws {
        var options = EngineOptions()
        options.maxBatch = 1
        let engine = try BatchEngine(bundle: try TinyModel.bundle(), options: options)
        let stream = try engine.submit(job([1], sampling: .greedy, maxTokens: 4000, eos: []))
        engine.shutdown()
        do {
            for try await _ in stream {}
            XCTFail("a job cut off by shutdown must end with an error")
        } catch {
            XCTAssertEqual(error as? ServiceError, .shuttingDown)
        }
        XCTAssertThrowsError(try engine.submit(job([1], sampling: .greedy, maxTokens: 4, eos: []))) {
            XCTAssertEqual($0 as? ServiceError, .shuttingDown)
        }
    }

    /// Reads one event of a long job, then drops the stream without cancelling it.
    static func readOneEventAndLeave(_ engine: BatchEngine) async throws {
        let dropped = try engine.submit(job([4, 5], sampling: .greedy, maxTokens: 3000, eos: []))
        for try await _ in dropped { break }
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<3000 {
            if condition() { return }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        XCTFail("condition not reached within 30 s")
    }
}
