import Generation
import XCTest

final class StopEvaluatorTests: XCTestCase {
    /// Feeds (id, text) pairs with probability 0.5; returns the concatenated output and the reason.
    private func run(
        _ conditions: StopConditions, _ tokens: [(Int, String)], probabilities: [Double]? = nil
    ) throws -> (String, FinishReason?, [String]) {
        var evaluator = try StopEvaluator(conditions: conditions)
        var pieces: [String] = []
        for (i, (id, text)) in tokens.enumerated() {
            let step = evaluator.append(tokenID: id, probability: probabilities?[i] ?? 0.5, text: text)
            pieces.append(step.text)
            if let reason = step.finishReason { return (pieces.joined(), reason, pieces) }
        }
        pieces.append(evaluator.flush())
        return (pieces.joined(), nil, pieces)
    }

    func testEndOfSequenceStopsAndIsNotOutput() throws {
        let (text, reason, _) = try run(
            StopConditions(endOfSequenceTokenIDs: [200020], stopStrings: ["##"]),
            [(1, "Hi #"), (200020, "<end_of_sentence>"), (2, "never")])
        XCTAssertEqual(text, "Hi #", "held-back '#' is released at eos")
        XCTAssertEqual(reason, .stop)
    }

    func testStopStringAcrossTokenBoundaries() throws {
        let (text, reason, pieces) = try run(
            StopConditions(stopStrings: ["World"]), [(1, "Hel"), (2, "lo W"), (3, "or"), (4, "ld! more"), (5, "x")])
        XCTAssertEqual(text, "Hello ")
        XCTAssertEqual(reason, .stop)
        XCTAssertEqual(pieces, ["Hel", "lo ", "", ""], "'W' and 'Wor' are held back until the match is decided")
    }

    func testHeldBackTextIsReleasedWhenTheMatchFails() throws {
        let (text, reason, pieces) = try run(StopConditions(stopStrings: ["END"]), [(1, "E"), (2, "N"), (3, "x"), (4, "EN")])
        XCTAssertEqual(pieces, ["", "", "ENx", "", "EN"], "the last piece comes from flush()")
        XCTAssertEqual(text, "ENxEN")
        XCTAssertNil(reason)
    }

    func testEarliestStopStringWins() throws {
        let (text, _, _) = try run(StopConditions(stopStrings: ["cd", "b"]), [(1, "abcd")])
        XCTAssertEqual(text, "a")
        let (overlap, _, _) = try run(StopConditions(stopStrings: ["aab"]), [(1, "a"), (2, "a"), (3, "a"), (4, "b")])
        XCTAssertEqual(overlap, "a", "a held 'aa' that fails to match shifts by one")
    }

    func testStopStringsMatchWhateverTheTokenisation() throws {
        let text = "one two <stop> three"
        let scalars = Array(text.unicodeScalars)
        for cut1 in 0...scalars.count {
            for cut2 in cut1...scalars.count {
                let pieces = [scalars[..<cut1], scalars[cut1..<cut2], scalars[cut2...]].map { String(String.UnicodeScalarView($0)) }
                let (output, reason, _) = try run(StopConditions(stopStrings: ["<stop>"]), pieces.enumerated().map { ($0.offset, $0.element) })
                XCTAssertEqual(output, "one two ", "cuts \(cut1), \(cut2)")
                XCTAssertEqual(reason, .stop)
            }
        }
    }

    func testMaxNewTokens() throws {
        let (text, reason, _) = try run(StopConditions(stopStrings: ["zz"], maxNewTokens: 3), [(1, "a"), (2, "b"), (3, "z"), (4, "c")])
        XCTAssertEqual(text, "abz")
        XCTAssertEqual(reason, .length)
        let (_, eosFirst, _) = try run(StopConditions(endOfSequenceTokenIDs: [9], maxNewTokens: 2), [(1, "a"), (9, "")])
        XCTAssertEqual(eosFirst, .stop, "eos on the last allowed token is a stop, not a length finish")
    }

    func testRepetitionGuard() throws {
        let tokens = (0..<8).map { ($0, "t\($0) ") }
        let probabilities = [0.995, 0.999, 0.5, 0.991, 0.992, 0.993, 0.999, 0.999]
        let (text, reason, _) = try run(
            StopConditions(repetitionGuard: RepetitionGuard(consecutiveTokens: 3)), tokens, probabilities: probabilities)
        XCTAssertEqual(reason, .repetition)
        XCTAssertEqual(text, "t0 t1 t2 t3 t4 t5 ", "fires on the third near-certain token in a row")

        let (_, exactly, _) = try run(
            StopConditions(repetitionGuard: RepetitionGuard(consecutiveTokens: 2)), [(1, "a"), (2, "b")], probabilities: [0.99, 0.99])
        XCTAssertNil(exactly, "the threshold is strict: 0.99 is not > 0.99")

        let (_, off, _) = try run(StopConditions(), (0..<1000).map { ($0, "x") }, probabilities: Array(repeating: 1, count: 1000))
        XCTAssertNil(off, "off by default")
    }

    func testAfterFinishingNothingMoreIsOutput() throws {
        var evaluator = try StopEvaluator(conditions: StopConditions(maxNewTokens: 1))
        XCTAssertEqual(evaluator.append(tokenID: 1, probability: 0.1, text: "a"), StopStep(text: "a", finishReason: .length))
        XCTAssertEqual(evaluator.append(tokenID: 2, probability: 0.1, text: "b"), StopStep(text: "", finishReason: .length))
        XCTAssertEqual(evaluator.generatedTokenCount, 1)
    }

    func testInvalidConditionsNameTheParameter() {
        func name(_ conditions: StopConditions) -> String? {
            do {
                _ = try StopEvaluator(conditions: conditions)
                return nil
            } catch StopConditionError.invalidParameter(let name, _) {
                return name
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(name(StopConditions(stopStrings: ["ok", ""])), "stopStrings[1]")
        XCTAssertEqual(name(StopConditions(maxNewTokens: 0)), "maxNewTokens")
        XCTAssertEqual(name(StopConditions(repetitionGuard: RepetitionGuard(consecutiveTokens: 0))), "repetitionGuard.consecutiveTokens")
        XCTAssertEqual(
            name(StopConditions(repetitionGuard: RepetitionGuard(consecutiveTokens: 5, probabilityThreshold: 1))),
            "repetitionGuard.probabilityThreshold")
        XCTAssertNil(name(StopConditions(endOfSequenceTokenIDs: [StopConditions.minimaxM1EndOfTurnTokenID])))
    }
}
