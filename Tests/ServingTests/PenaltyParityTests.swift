import Foundation
import Generation
import TestSupport
import XCTest

@testable import Serving

/// `minimax generate --presence-penalty/--frequency-penalty` and the server penalise with the same
/// code (`Generation.TokenPenalties`), so identical requests give identical tokens.
final class PenaltyParityTests: XCTestCase {
    func testPenaltiesFollowOpenAI() {
        var logits: [Float] = [1, 2, 3, 4]
        TokenPenalties.applyPresenceAndFrequency(&logits, counts: [1: 2, 3: 1], presence: 0.5, frequency: 0.25)
        XCTAssertEqual(logits, [1, 2 - 0.5 - 0.5, 3, 4 - 0.5 - 0.25])
    }

    func testPenalizedJobsMatchTextGenerator() async throws {
        let bundle = try TinyModel.bundle()
        let prompt = Array("Hello there".utf8).map(Int.init)
        let stop = StopConditions(endOfSequenceTokenIDs: [], maxNewTokens: 16)
        let generator = TextGenerator(model: bundle.model, tokenizer: bundle.tokenizer)
        let engine = try BatchEngine(bundle: bundle)
        defer { engine.shutdown() }
        var plain: [Int: [Int]] = [:]
        var changed = 0
        for (presence, frequency) in [(0.0, 0.0), (1.5, 0.0), (0.0, 2.0), (-0.5, 0.7)] {
            for (s, sampling) in [SamplingParameters.greedy, SamplingParameters(temperature: 1, topP: 0.9, seed: 4)].enumerated() {
                let local = try generator.generate(GenerationRequest(
                    promptIDs: prompt, sampling: sampling, penalties: TokenPenalties(presence: presence, frequency: frequency), stop: stop))
                var served: [Int] = []
                let stream = try engine.submit(GenerationJob(
                    promptIDs: prompt, sampling: sampling, stop: stop, presencePenalty: presence, frequencyPenalty: frequency))
                for try await event in stream { if case .token(let token) = event { served.append(token.id) } }
                XCTAssertEqual(served, local.tokenIDs, "presence \(presence), frequency \(frequency), \(sampling)")
                if presence == 0 && frequency == 0 { plain[s] = local.tokenIDs }
                else if local.tokenIDs != plain[s] { changed += 1 }
            }
        }
        XCTAssertGreaterThan(changed, 0, "the penalties changed no output: the comparison proves nothing")
    }
}
