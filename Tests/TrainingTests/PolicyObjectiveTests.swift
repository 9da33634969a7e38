import Foundation
import Tensors
import TestSupport
import Training
import XCTest

/// The RL objectives (DESIGN.md §1.8) token by token: hand-made coefficients, finite differences of the
/// loss value, and TRL's own `_compute_loss` (scripts/rl/make_objective_goldens.py).
final class PolicyObjectiveTests: XCTestCase {
    let cispo = PolicyObjective.cispo(epsilonHigh: 0.25)  // cap 1.25
    let dapo = PolicyObjective.defaultDAPO  // bounds 0.8, 1.28
    let grpo = PolicyObjective.grpo(epsilon: 0.2, klCoefficient: 0.04)

    /// A token of a batch of 10 tokens in 4 responses, this one of length 5, with ratio r.
    func term(_ objective: PolicyObjective, ratio: Double, advantage: Double, new: Double = -1.5, reference: Double? = nil) -> TokenTerm {
        objective.term(
            newLogProbability: new, oldLogProbability: new - log(ratio), referenceLogProbability: reference ?? new,
            advantage: advantage, responseLength: 5, totalTokens: 10, responseCount: 4)
    }

    // MARK: hand-made coefficients

    func testCISPOKeepsEveryTokenAndCapsTheWeightAbove() {
        // (ratio, advantage, expected r̂, capped)
        for (r, a, capped, hit) in [
            (0.5, 2.0, 0.5, false), (0.5, -2.0, 0.5, false),  // no lower bound
            (1.0, 2.0, 1.0, false), (1.25 * (1 - 1e-9), 2.0, 1.25 * (1 - 1e-9), false),
            (1.25 * (1 + 1e-9), 2.0, 1.25, true), (3.0, 2.0, 1.25, true), (3.0, -2.0, 1.25, true),
        ] {
            let t = term(cispo, ratio: r, advantage: a)
            XCTAssertEqual(Double(t.weight), capped * a / 10, accuracy: 1e-7, "r \(r) Â \(a)")
            XCTAssertEqual(t.loss, -capped * a * -1.5 / 10, accuracy: 1e-12, "r \(r) Â \(a)")
            XCTAssertEqual(t.ratio, r, accuracy: 1e-12)
            XCTAssertEqual(t.clipped, hit, "r \(r) Â \(a)")
            XCTAssertFalse(t.masked, "CISPO never drops a token")
        }
    }

    func testDAPOMasksTokensWhoseClippedBranchIsActive() {
        let low = 1 - Double(Float(0.2)), high = 1 + Double(Float(0.28))
        // (ratio, advantage, expected surrogate min(rÂ, clip(r)Â), masked)
        for (r, a, surrogate, masked) in [
            (1.0, 2.0, 2.0, false), (1.0, -2.0, -2.0, false),
            (1.5, 2.0, high * 2, true), (1.5, -2.0, -3.0, false),  // above: only Â > 0 is clipped
            (0.5, 2.0, 1.0, false), (0.5, -2.0, low * -2, true),  // below: only Â < 0 is clipped
            (high * (1 - 1e-9), 2.0, high * (1 - 1e-9) * 2, false), (high * (1 + 1e-9), 2.0, high * 2, true),
            (low * (1 + 1e-9), -2.0, low * (1 + 1e-9) * -2, false), (low * (1 - 1e-9), -2.0, low * -2, true),
            (3.0, 0.0, 0.0, false),
        ] {
            let t = term(dapo, ratio: r, advantage: a)
            XCTAssertEqual(Double(t.weight), masked ? 0 : r * a / 10, accuracy: 1e-7, "r \(r) Â \(a)")
            XCTAssertEqual(t.loss, -surrogate / 10, accuracy: 1e-7, "r \(r) Â \(a)")
            XCTAssertEqual(t.masked, masked, "r \(r) Â \(a)")
            XCTAssertEqual(t.clipped, masked, "r \(r) Â \(a)")
        }
    }

    func testGRPOClipsSymmetricallyAveragesPerSequenceAndKeepsTheKLGradient() {
        let normaliser = 4.0 * 5  // responses × this response's length
        let d = 0.5  // log π_ref − log π_θ
        let kl = exp(d) - d - 1, klWeight = 0.04 * (exp(d) - 1)
        for (r, a, surrogate, masked) in [
            (1.0, 2.0, 2.0, false), (1.3, 2.0, 1.2 * 2, true), (1.3, -2.0, -2.6, false),
            (0.7, -2.0, 0.8 * -2, true), (0.7, 2.0, 1.4, false),
        ] {
            let t = term(grpo, ratio: r, advantage: a, reference: -1.5 + d)
            let policyWeight = masked ? 0 : r * a
            XCTAssertEqual(Double(t.weight), (policyWeight + klWeight) / normaliser, accuracy: 1e-7, "r \(r) Â \(a)")
            XCTAssertEqual(t.loss, (-surrogate + 0.04 * kl) / normaliser, accuracy: 1e-7, "r \(r) Â \(a)")
            XCTAssertEqual(t.klDivergence, kl, accuracy: 1e-12)
            XCTAssertEqual(t.masked, masked, "r \(r) Â \(a)")
        }
        // Without β the reference is not needed and not read.
        let plain = PolicyObjective.defaultGRPO
        XCTAssertFalse(plain.needsReference)
        XCTAssertTrue(grpo.needsReference)
        let t = plain.term(
            newLogProbability: -1.0, oldLogProbability: -1.0, referenceLogProbability: nil, advantage: 1.0,
            responseLength: 5, totalTokens: 10, responseCount: 4)
        XCTAssertEqual(Double(t.weight), 1.0 / 20, accuracy: 1e-9)
        XCTAssertEqual(t.klDivergence, 0)
    }

    func testOnPolicyCISPOAndDAPOAreBothTokenNormalisedREINFORCE() {
        var generator = SplitMix64(seed: 7)
        let lengths = [3, 9, 1, 6], total = lengths.reduce(0, +)
        for length in lengths {
            let advantage = Float.random(in: -2...2, using: &generator)
            for _ in 0..<length {
                let logProbability = -Float.random(in: 0.001...8, using: &generator)
                let weights = [PolicyObjective.defaultCISPO, .dapo(epsilonLow: 0.2, epsilonHigh: 0.28)].map {
                    $0.term(
                        newLogProbability: logProbability, oldLogProbability: logProbability, referenceLogProbability: nil,
                        advantage: advantage, responseLength: length, totalTokens: total, responseCount: lengths.count
                    ).weight
                }
                XCTAssertEqual(weights[0], weights[1])
                XCTAssertEqual(weights[0], Float(Double(advantage) / Double(total)), accuracy: 1e-9)
            }
        }
    }

    // MARK: advantages

    func testGroupAdvantageUsesTheUnbiasedStandardDeviation() {
        let group = GroupAdvantage(rewards: [1, 0, 0, 1, 1])
        let mean = 0.6, std = (3 * 0.16 + 2 * 0.36) / 4.0  // variance with n − 1
        XCTAssertEqual(group.mean, mean, accuracy: 1e-12)
        XCTAssertEqual(group.standardDeviation, std.squareRoot(), accuracy: 1e-12)
        XCTAssertFalse(group.isDegenerate)
        for (a, r) in zip(group.advantages, [1.0, 0, 0, 1, 1]) {
            XCTAssertEqual(Double(a), (r - mean) / (std.squareRoot() + 1e-4), accuracy: 1e-6)
        }
    }

    func testEqualRewardsGiveZeroAdvantagesFlaggedAndNoNaN() {
        for rewards in [[1.0, 1, 1, 1], [0, 0], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [0.7], [], [.nan, 2, .nan]] {
            let group = GroupAdvantage(rewards: rewards)
            XCTAssertTrue(group.isDegenerate, "\(rewards)")
            XCTAssertEqual(group.advantages, [Float](repeating: 0, count: rewards.count), "\(rewards)")
            for objective in [PolicyObjective.defaultCISPO, .defaultDAPO, .defaultGRPO] {
                for advantage in group.advantages {
                    let t = objective.term(
                        newLogProbability: -0.3, oldLogProbability: -2.1, referenceLogProbability: nil,
                        advantage: advantage, responseLength: 4, totalTokens: 12, responseCount: 3)
                    XCTAssertEqual(t.weight, 0)
                    XCTAssertEqual(t.loss, 0)
                }
            }
        }
        // A failed verifier (NaN) is skipped, the rest still normalised.
        let partial = GroupAdvantage(rewards: [1, .nan, 0])
        XCTAssertFalse(partial.isDegenerate)
        XCTAssertEqual(partial.advantages[1], 0)
        XCTAssertEqual(Double(partial.advantages[0]), 0.5 / (0.5.squareRoot() + 1e-4), accuracy: 1e-6)
    }

    func testExtremeInputsStayFinite() {
        for objective in [PolicyObjective.defaultCISPO, .defaultDAPO, .grpo(epsilon: 0.2, klCoefficient: 0.1)] {
            for (new, old, reference) in [(0.0, -1e4, -1e4), (-1e4, 0.0, 0.0), (-80, -80, 0)] as [(Double, Double, Double)] {
                for (length, total, count) in [(0, 0, 0), (1, 1, 1), (7, 30, 5)] {
                    let t = objective.term(
                        newLogProbability: new, oldLogProbability: old, referenceLogProbability: reference,
                        advantage: -1.5, responseLength: length, totalTokens: total, responseCount: count)
                    XCTAssertTrue(t.weight.isFinite && t.loss.isFinite && t.ratio.isFinite && t.klDivergence.isFinite, "\(objective) \(new) \(old)")
                }
            }
        }
    }

    func testOverlongPenaltyIsLinearOverTheLastCacheTokens() {
        let shaping = OverlongPenalty(maximumLength: 20, cacheLength: 4)
        for (length, penalty) in [(0, 0.0), (16, 0), (17, -0.25), (18, -0.5), (20, -1), (21, -1), (500, -1)] {
            XCTAssertEqual(shaping.penalty(length: length), penalty, accuracy: 1e-12, "length \(length)")
        }
        XCTAssertEqual(OverlongPenalty(maximumLength: 8, cacheLength: 0).penalty(length: 8), 0)
        XCTAssertEqual(OverlongPenalty(maximumLength: 8, cacheLength: 0).penalty(length: 9), -1)
    }

    // MARK: finite differences

    /// weight = −∂L/∂log π_θ, with the loss value differentiated numerically in Double. CISPO's r̂ is a
    /// stop-gradient constant, so there the old log-probability moves with the new one: r̂ stays put and only
    /// the log π_θ factor varies, which is the derivative the objective defines.
    func testWeightIsMinusTheDerivativeOfTheLoss() {
        let h = 1e-5
        for objective in [cispo, .defaultCISPO, dapo, grpo, .defaultGRPO] {
            // Points away from the clip bounds (0.8, 1.2, 1.25, 1.28, 5), where the surrogate has kinks.
            for (r, a) in [(0.5, 1.7), (0.5, -1.7), (0.9, -0.6), (1.1, 2.0), (1.27, -1.1), (2.5, 0.8), (2.5, -0.8), (7.0, 0.4)] {
                let new = -1.3, old = new - log(r), reference = -0.9
                let movesOld = if case .cispo = objective { true } else { false }
                func loss(_ shift: Double) -> Double {
                    objective.term(
                        newLogProbability: new + shift, oldLogProbability: old + (movesOld ? shift : 0),
                        referenceLogProbability: reference, advantage: a, responseLength: 5, totalTokens: 10, responseCount: 4
                    ).loss
                }
                let derivative = (loss(h) - loss(-h)) / (2 * h)
                let weight = term(objective, ratio: r, advantage: a, new: new, reference: reference).weight
                XCTAssertEqual(Double(weight), -derivative, accuracy: 1e-7 * max(1, abs(derivative)), "\(objective) r \(r) Â \(a)")
            }
        }
    }

    /// Through the logits: with log π = log_softmax(z)[target], ∂L/∂z = w · (softmax(z) − onehot(target)),
    /// exactly what the LM head's cross-entropy backward applies for row weight w.
    func testLossGradientWithRespectToTheLogitsIsWhatTheHeadApplies() {
        let logits = [0.3, -1.2, 2.0, 0.7, -0.4, 1.1], target = 3, h = 1e-5
        func logSoftmax(_ z: [Double]) -> [Double] {
            let top = z.max()!, sum = z.reduce(0) { $0 + exp($1 - top) }
            return z.map { $0 - top - log(sum) }
        }
        let base = logSoftmax(logits), probabilities = base.map(exp)
        for objective in [cispo, dapo, grpo] {
            for (r, a) in [(0.6, 1.5), (1.1, -0.7), (3.0, 0.9)] {
                let old = base[target] - log(r), reference = base[target] + 0.4
                let movesOld = if case .cispo = objective { true } else { false }
                func loss(_ z: [Double]) -> Double {
                    let new = logSoftmax(z)[target]
                    return objective.term(
                        newLogProbability: new, oldLogProbability: old + (movesOld ? new - base[target] : 0),
                        referenceLogProbability: reference, advantage: a, responseLength: 5, totalTokens: 10, responseCount: 4
                    ).loss
                }
                let weight = Double(objective.term(
                    newLogProbability: base[target], oldLogProbability: old, referenceLogProbability: reference,
                    advantage: a, responseLength: 5, totalTokens: 10, responseCount: 4).weight)
                for v in logits.indices {
                    var up = logits, down = logits
                    up[v] += h
                    down[v] -= h
                    let numeric = (loss(up) - loss(down)) / (2 * h)
                    let applied = weight * (probabilities[v] - (v == target ? 1 : 0))
                    XCTAssertEqual(applied, numeric, accuracy: 1e-7, "\(objective) r \(r) Â \(a) logit \(v)")
                }
            }
        }
    }

    // MARK: TRL parity

    struct Golden: Decodable {
        struct Objective: Decodable {
            let kind: String
            let epsilon_high, epsilon_low, epsilon, kl_coefficient: Float?
        }
        struct Case: Decodable {
            let name: String
            let objective: Objective
            let loss: Double
            let gradient: [[Double]]  // ∂loss/∂(new log-probability), per response token
        }
        let trl_version: String
        let lengths: [Int]
        let advantages: [Float]
        let new, old, ref: [[Float]]
        let cases: [Case]
    }

    /// Loss and per-token gradient against TRL's `GRPOTrainer._compute_loss` on the same float32 tensors:
    /// six responses of lengths 5, 1, 8, 0, 3, 6, ratios on both sides of every bound.
    func testLossAndWeightsMatchTRL() throws {
        let url = TestSupport.fixtures("TrainingTests").appendingPathComponent("objectives.json")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        let total = golden.lengths.reduce(0, +), count = golden.lengths.count
        XCTAssertEqual(golden.cases.count, 5)
        for c in golden.cases {
            let o = c.objective
            let objective: PolicyObjective = switch o.kind {
            case "cispo": .cispo(epsilonHigh: o.epsilon_high!)
            case "dapo": .dapo(epsilonLow: o.epsilon_low!, epsilonHigh: o.epsilon_high!)
            default: .grpo(epsilon: o.epsilon!, klCoefficient: o.kl_coefficient!)
            }
            var loss = 0.0, worst = 0.0, clipped = 0, masked = 0
            for (i, length) in golden.lengths.enumerated() {
                for t in 0..<length {
                    let term = objective.term(
                        newLogProbability: golden.new[i][t], oldLogProbability: golden.old[i][t],
                        referenceLogProbability: golden.ref[i][t], advantage: golden.advantages[i],
                        responseLength: length, totalTokens: total, responseCount: count)
                    loss += term.loss
                    clipped += term.clipped ? 1 : 0
                    masked += term.masked ? 1 : 0
                    let expected = -c.gradient[i][t]
                    let error = abs(Double(term.weight) - expected) / max(abs(expected), 1e-6)
                    worst = max(worst, error)
                    XCTAssertEqual(Double(term.weight), expected, accuracy: 1e-5 * max(abs(expected), 1e-6), "\(c.name) response \(i) token \(t)")
                }
            }
            XCTAssertEqual(loss, c.loss, accuracy: 1e-5 * abs(c.loss), c.name)
            XCTAssertGreaterThan(clipped, 0, "\(c.name): the fixture should hit a bound")
            if o.kind != "cispo" { XCTAssertGreaterThan(masked, 0, "\(c.name): the fixture should mask a token") }
            print("TRL \(golden.trl_version) \(c.name): loss relative error \(abs(loss - c.loss) / abs(c.loss)),"
                + " worst weight relative error \(worst), \(clipped) clipped, \(masked) masked")
        }
    }
}
