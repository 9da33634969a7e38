import XCTest

@testable import Serving

final class StepPlannerTests: XCTestCase {
    typealias S = StepPlanner.Sequence
    let roomy = KeyValuePageBudget(pageSize: 256, totalPages: 1000, bytesPerPage: 1)

    func testEveryDecodingSequenceGetsItsRowAndPrefillIsChunkedFromThePromptStart() {
        let running = [S(processed: 10, total: 11, admitted: 0), S(processed: 0, total: 1300, admitted: 1),
                       S(processed: 4, total: 5, admitted: 2)]
        let plan = StepPlanner.plan(running, budget: roomy, prefillChunk: 512)
        XCTAssertEqual(plan.entries, [
            .init(sequence: 0, start: 10, count: 1, sampling: true), .init(sequence: 2, start: 4, count: 1, sampling: true),
            .init(sequence: 1, start: 0, count: 512, sampling: false),
        ])
        XCTAssertEqual(plan.preempted, [])
        // The last chunk is what is left, and it samples.
        let last = StepPlanner.plan([S(processed: 1024, total: 1300, admitted: 0)], budget: roomy, prefillChunk: 512)
        XCTAssertEqual(last.entries, [.init(sequence: 0, start: 1024, count: 276, sampling: true)])
        // After a preemption a sequence restarts at 0 and keeps the same chunk boundaries.
        let misaligned = StepPlanner.plan([S(processed: 300, total: 1300, admitted: 0)], budget: roomy, prefillChunk: 512)
        XCTAssertEqual(misaligned.entries, [.init(sequence: 0, start: 300, count: 212, sampling: false)])
    }

    func testPrefillTokensPerStepStayWithinOneChunkButAtLeastOneChunkRuns() {
        let running = [S(processed: 0, total: 100, admitted: 3), S(processed: 0, total: 300, admitted: 1),
                       S(processed: 0, total: 200, admitted: 2), S(processed: 0, total: 50, admitted: 4)]
        let plan = StepPlanner.plan(running, budget: roomy, prefillChunk: 512)
        // Oldest first: 300 + 200 fit; 100 would pass 512 and stops the prefill for this step.
        XCTAssertEqual(plan.entries, [.init(sequence: 1, start: 0, count: 300, sampling: true),
                                      .init(sequence: 2, start: 0, count: 200, sampling: true)])
        let big = StepPlanner.plan([S(processed: 0, total: 100, admitted: 0)], budget: roomy, prefillChunk: 64)
        XCTAssertEqual(big.entries, [.init(sequence: 0, start: 0, count: 64, sampling: false)])
    }

    func testTheNewestSequenceIsPreemptedWhenPagesRunOut() {
        let tight = KeyValuePageBudget(pageSize: 256, totalPages: 3, bytesPerPage: 1)
        // Two sequences at a page boundary each need a second page: 4 > 3.
        let running = [S(processed: 256, total: 257, admitted: 0), S(processed: 256, total: 257, admitted: 5),
                       S(processed: 10, total: 11, admitted: 2)]
        let plan = StepPlanner.plan(running, budget: tight, prefillChunk: 512)
        // 2 + 2 + 1 pages > 3: the newest (admitted 5) goes; 2 + 1 fit.
        XCTAssertEqual(plan.preempted, [1])
        XCTAssertEqual(plan.entries, [.init(sequence: 0, start: 256, count: 1, sampling: true),
                                      .init(sequence: 2, start: 10, count: 1, sampling: true)])
        // A lone sequence is never preempted.
        let alone = StepPlanner.plan([S(processed: 1000, total: 1001, admitted: 0)], budget: tight, prefillChunk: 512)
        XCTAssertEqual(alone.preempted, [])
    }

    func testModelsWithoutSoftmaxLayersNeedNoPages() {
        let none = KeyValuePageBudget(pageSize: 256, totalPages: 0, bytesPerPage: 0)
        XCTAssertEqual(none.pages(forTokens: 100_000), 0)
        XCTAssertEqual(StepPlanner.plan([S(processed: 5, total: 6, admitted: 0), S(processed: 9, total: 10, admitted: 1)],
                                        budget: none, prefillChunk: 8).preempted, [])
    }
}
