import Foundation
import Generation
import XCTest

final class SamplerTests: XCTestCase {
    /// Logits whose softmax is exactly-ish [0.5, 0.25, 0.15, 0.1].
    private let fourTokens: [Float] = [0.5, 0.25, 0.15, 0.1].map { Float(log($0)) }

    private func distribution(_ parameters: SamplingParameters, _ logits: [Float]) throws -> [Int: Double] {
        let sampler = try Sampler(parameters: parameters)
        var result: [Int: Double] = [:]
        for entry in try sampler.distribution(logits: logits) { result[entry.id] = entry.probability }
        return result
    }

    private func assertDistribution(
        _ actual: [Int: Double], _ expected: [Int: Double], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(Set(actual.keys), Set(expected.keys), "kept tokens", file: file, line: line)
        for (id, p) in expected {
            XCTAssertEqual(actual[id] ?? -1, p, accuracy: 1e-6, "token \(id)", file: file, line: line)
        }
    }

    func testGeneratorMatchesIndependentReference() {
        // First outputs of xoshiro256** seeded by SplitMix64, from a separate Python implementation.
        var zero = SeededRandomGenerator(seed: 0)
        XCTAssertEqual([zero.next(), zero.next(), zero.next()], [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
        var fortyTwo = SeededRandomGenerator(seed: 42)
        XCTAssertEqual([fortyTwo.next(), fortyTwo.next(), fortyTwo.next()], [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
        for _ in 0..<1000 {
            let u = fortyTwo.nextUnitInterval()
            XCTAssertTrue(u >= 0 && u < 1)
        }
    }

    func testNoFilterKeepsSoftmax() throws {
        assertDistribution(try distribution(SamplingParameters(), fourTokens), [0: 0.5, 1: 0.25, 2: 0.15, 3: 0.1])
    }

    func testTemperatureSharpensAndFlattens() throws {
        // p_i^(1/T), renormalised.
        let half = [0.5, 0.25, 0.15, 0.1].map { $0.squareRoot() }
        let halfSum = half.reduce(0, +)
        assertDistribution(
            try distribution(SamplingParameters(temperature: 2), fourTokens),
            Dictionary(uniqueKeysWithValues: half.enumerated().map { ($0.offset, $0.element / halfSum) }))
        let squared = [0.25, 0.0625, 0.0225, 0.01]
        let squaredSum = squared.reduce(0, +)
        assertDistribution(
            try distribution(SamplingParameters(temperature: 0.5), fourTokens),
            Dictionary(uniqueKeysWithValues: squared.enumerated().map { ($0.offset, $0.element / squaredSum) }))
    }

    func testTopK() throws {
        assertDistribution(try distribution(SamplingParameters(topK: 2), fourTokens), [0: 2.0 / 3, 1: 1.0 / 3])
        assertDistribution(try distribution(SamplingParameters(topK: 3), fourTokens), [0: 0.5 / 0.9, 1: 0.25 / 0.9, 2: 0.15 / 0.9])
        assertDistribution(try distribution(SamplingParameters(topK: 10), fourTokens), [0: 0.5, 1: 0.25, 2: 0.15, 3: 0.1])
        // Ties with the k-th token survive, as in transformers.
        assertDistribution(try distribution(SamplingParameters(topK: 2), [1, 1, 1, 0]), [0: 1.0 / 3, 1: 1.0 / 3, 2: 1.0 / 3])
    }

    func testTopP() throws {
        // Drop from the least likely while the cumulative mass is ≤ 1 − p.
        assertDistribution(try distribution(SamplingParameters(topP: 0.7), fourTokens), [0: 2.0 / 3, 1: 1.0 / 3])
        assertDistribution(try distribution(SamplingParameters(topP: 0.8), fourTokens), [0: 0.5 / 0.9, 1: 0.25 / 0.9, 2: 0.15 / 0.9])
        assertDistribution(try distribution(SamplingParameters(topP: 0.4), fourTokens), [0: 1])
        assertDistribution(try distribution(SamplingParameters(topP: 0.01), fourTokens), [0: 1])
    }

    func testMinP() throws {
        assertDistribution(try distribution(SamplingParameters(minP: 0.35), fourTokens), [0: 2.0 / 3, 1: 1.0 / 3])
        assertDistribution(try distribution(SamplingParameters(minP: 0.25), fourTokens), [0: 0.5 / 0.9, 1: 0.25 / 0.9, 2: 0.15 / 0.9])
        assertDistribution(try distribution(SamplingParameters(minP: 1), fourTokens), [0: 1])
    }

    func testFiltersApplyInOrderTemperatureTopKTopPMinP() throws {
        // top-k 3 → {.5, .25, .15}/.9 = {.556, .278, .167}; top-p 0.8 drops .167 (≤ 0.2) → {2/3, 1/3}.
        assertDistribution(try distribution(SamplingParameters(topK: 3, topP: 0.8), fourTokens), [0: 2.0 / 3, 1: 1.0 / 3])
        // top-p 0.95 keeps all four (0.1 > 0.05); min-p 0.4 then keeps p ≥ 0.2.
        assertDistribution(try distribution(SamplingParameters(topP: 0.95, minP: 0.4), fourTokens), [0: 2.0 / 3, 1: 1.0 / 3])
    }

    func testGreedy() throws {
        var sampler = try Sampler(parameters: .greedy)
        let token = try sampler.sample(logits: fourTokens)
        XCTAssertEqual(token.id, 0)
        XCTAssertEqual(token.probability, 0.5, accuracy: 1e-6)
        XCTAssertEqual(try sampler.sample(logits: [0, 3, 3, -1]).id, 1, "ties go to the lowest id")
        XCTAssertEqual(try sampler.sample(logits: [-.infinity, -5, -.infinity]).id, 1)
    }

    func testSampledProbabilityIsBeforeTruncation() throws {
        var sampler = try Sampler(parameters: SamplingParameters(topP: 0.4, seed: 3))
        let token = try sampler.sample(logits: fourTokens)
        XCTAssertEqual(token.id, 0)
        XCTAssertEqual(token.probability, 0.5, accuracy: 1e-6)
    }

    func testSameSeedSameTokensAndPinnedSequence() throws {
        let logits = (0..<50).map { Float(sin(Double($0) * 1.7) * 3) }
        func run(seed: UInt64) throws -> [Int] {
            var sampler = try Sampler(parameters: SamplingParameters(temperature: 0.8, topK: 20, topP: 0.95, minP: 0.01, seed: seed))
            return try (0..<40).map { _ in try sampler.sample(logits: logits).id }
        }
        XCTAssertEqual(try run(seed: 7), try run(seed: 7))
        XCTAssertNotEqual(try run(seed: 7), try run(seed: 8))
        var sampler = try Sampler(parameters: SamplingParameters(seed: 42))
        let pinned = try (0..<12).map { _ in try sampler.sample(logits: fourTokens).id }
        XCTAssertEqual(pinned, Self.pinnedSequence, "seed 42 over [.5, .25, .15, .1]")
    }

    /// Computed independently in Python from seed 42's draws u = 0.0839, 0.3790, 0.6800, 0.9247, …:
    /// token 0 when u < .5, 1 below .75, 2 below .9, else 3.
    static let pinnedSequence = [0, 0, 1, 3, 3, 2, 1, 2, 2, 1, 1, 0]

    func testEmpiricalFrequenciesMatchTheDistribution() throws {
        var sampler = try Sampler(parameters: SamplingParameters(topK: 3, seed: 1))
        var counts = [0, 0, 0, 0]
        let draws = 30_000
        for _ in 0..<draws { counts[try sampler.sample(logits: fourTokens).id] += 1 }
        XCTAssertEqual(counts[3], 0)
        for (id, expected) in [0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9].enumerated() {
            XCTAssertEqual(Double(counts[id]) / Double(draws), expected, accuracy: 0.015)
        }
    }

    func testMaskedTokensAreNeverSampled() throws {
        var sampler = try Sampler(parameters: SamplingParameters(temperature: 5, seed: 9))
        for _ in 0..<500 {
            XCTAssertNotEqual(try sampler.sample(logits: [0, -.infinity, 0, -.infinity]).id % 2, 1)
        }
    }

    func testInvalidParametersNameTheParameter() {
        func name(_ parameters: SamplingParameters) -> String? {
            do {
                _ = try Sampler(parameters: parameters)
                return nil
            } catch SamplingError.invalidParameter(let name, _, _) {
                return name
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(name(SamplingParameters(temperature: -0.1)), "temperature")
        XCTAssertEqual(name(SamplingParameters(temperature: .nan)), "temperature")
        XCTAssertEqual(name(SamplingParameters(temperature: .infinity)), "temperature")
        XCTAssertEqual(name(SamplingParameters(topK: -1)), "topK")
        XCTAssertEqual(name(SamplingParameters(topP: 0)), "topP")
        XCTAssertEqual(name(SamplingParameters(topP: 1.01)), "topP")
        XCTAssertEqual(name(SamplingParameters(topP: .nan)), "topP")
        XCTAssertEqual(name(SamplingParameters(minP: -0.01)), "minP")
        XCTAssertEqual(name(SamplingParameters(minP: 1.5)), "minP")
        XCTAssertNil(name(SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0)))
        XCTAssertNil(name(.minimaxM1Recommended))
    }

    func testBadLogitsAreTypedErrors() throws {
        for parameters in [SamplingParameters.greedy, SamplingParameters(seed: 1)] {
            var sampler = try Sampler(parameters: parameters)
            XCTAssertThrowsError(try sampler.sample(logits: [])) { XCTAssertEqual($0 as? SamplingError, .emptyLogits) }
            XCTAssertThrowsError(try sampler.sample(logits: [0, .nan])) {
                XCTAssertEqual($0 as? SamplingError, .nonFiniteLogit(index: 1))
            }
            XCTAssertThrowsError(try sampler.sample(logits: [.infinity])) {
                XCTAssertEqual($0 as? SamplingError, .nonFiniteLogit(index: 0))
            }
            XCTAssertThrowsError(try sampler.sample(logits: [-.infinity, -.infinity])) {
                XCTAssertEqual($0 as? SamplingError, .noCandidates)
            }
        }
    }
}
