import Foundation
import Generation
import TestSupport
import XCTest

@testable import Serving

/// `minimax generate --presence-penalty/--frequency-penalty` (Generation's `TokenPenalties`) and
/// the server (`TokenScoring`) penalise alike, so identical requests give identical tokens.
final class PenaltyParityTests: XCTestCase {
    func testSameArithmeticAsTheServer() {
        for seed in 0..<50 as Range<UInt64> {
            let logits = TestSupport.randomValues(64, seed: seed, scale: 4)
            let counts = Dictionary(uniqueKeysWithValues: (0..<10).map { ($0 * 7 % 70, 1 + $0 % 4) })
            let knobs = TestSupport.randomValues(2, seed: seed + 1000, scale: 2)
            let presence = Double(knobs[0]), frequency = Double(knobs[1])
            var server = logits, generator = logits
            TokenScoring.applyPenalties(&server, counts: counts, presence: presence, frequency: frequency)
            TokenPenalties.applyPresenceAndFrequency(&generator, counts: counts, presence: presence, frequency: frequency)
            XCTAssertEqual(server, generator)
        }
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
