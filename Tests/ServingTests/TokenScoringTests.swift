import XCTest

@testable import Serving

final class TokenScoringTests: XCTestCase {
    func testLogprobsAreLogSoftmaxAndTopIsSorted() {
        let logits: [Float] = [0, 2, -1, 2, 1]
        let (chosen, top) = TokenScoring.logprobs(logits, id: 4, top: 3)
        let normalizer = log(logits.map { exp(Double($0)) }.reduce(0, +))
        XCTAssertEqual(chosen.logprob, 1 - normalizer, accuracy: 1e-12)
        XCTAssertEqual(top.map(\.id), [1, 3, 4])
        XCTAssertEqual(top[0].logprob, 2 - normalizer, accuracy: 1e-12)
        XCTAssertEqual(TokenScoring.logprobs(logits, id: 0, top: 0).top, [])
        XCTAssertEqual(TokenScoring.logprobs([-.infinity, 0], id: 1, top: 2).top.map(\.id), [1, 0])
    }
}
