import Foundation
import MiniMax
import TestSupport
import Training
import XCTest

/// The MoE block: routing gradients through the renormalised top-k weights into the full softmax,
/// SwiGLU experts, and the extra load-balancing gradient on the router probabilities.
final class MixtureOfExpertsGradientTests: XCTestCase {
    typealias G = GradientChecking

    enum ExtraGradient { case none, perToken, perExpert }

    func testMixtureOfExpertsGradients() throws {
        let worst = G.Worst("MixtureOfExperts")
        // (T, E, k, extra): one token top-1, top-2, several tokens with per-token and per-expert dP
        for (tokens, experts, k, extra) in [(1, 4, 1, ExtraGradient.none), (7, 4, 2, .none), (13, 5, 2, .perToken),
                                             (9, 4, 1, .perExpert), (6, 3, 3, .perToken)] {
            let c = try G.configuration(hidden: 10, experts: experts, expertsPerToken: k, intermediate: 6)
            let hidden = c.hiddenSize, inner = c.intermediateSize, seed = UInt64(tokens * 10 + experts + k)
            let p = MixtureOfExpertsReference.Parameters(
                router: G.random(experts * hidden, seed: seed, scale: 1.5),
                experts: (0..<experts).map { e in
                    let s = seed + 10 * UInt64(e + 1)
                    return .init(gate: G.random(inner * hidden, seed: s, scale: 0.7), up: G.random(inner * hidden, seed: s + 1, scale: 0.7),
                                 down: G.random(hidden * inner, seed: s + 2, scale: 0.7))
                })
            let x = G.random(tokens * hidden, seed: seed + 4), dOut = G.random(tokens * hidden, seed: seed + 5)
            let dX0 = G.random(tokens * hidden, seed: seed + 6)
            let perExpert = G.random(experts, seed: seed + 7)
            let dP: [Double]? = switch extra {
            case .none: nil
            case .perToken: G.random(tokens * experts, seed: seed + 8)
            case .perExpert: (0..<tokens).flatMap { _ in perExpert }
            }
            let label = "T=\(tokens) E=\(experts) top-\(k) extra=\(extra)"
            var grads = MixtureOfExpertsReference.Parameters(zerosFor: c), dX = dX0
            MixtureOfExpertsReference.backward(x, tokens: tokens, configuration: c, parameters: p, outputGradient: dOut,
                                               probabilityGradient: dP, gradients: &grads, inputGradient: &dX)
            func loss(_ x: [Double], _ p: MixtureOfExpertsReference.Parameters) -> Double {
                let main = G.dot(dOut, MixtureOfExpertsReference.forward(x, tokens: tokens, configuration: c, parameters: p))
                guard let dP else { return main }
                return main + G.dot(dP, MixtureOfExpertsReference.probabilities(x, tokens: tokens, configuration: c, router: p.router))
            }
            worst.fd(G.check("dX \(label)", values: x, analytic: zip(dX, dX0).map(-)) { loss($0, p) })
            worst.fd(G.check("dRouter \(label)", values: p.router, analytic: grads.router) {
                var q = p; q.router = $0; return loss(x, q) })
            for e in 0..<experts where grads.experts[e].down.contains(where: { $0 != 0 }) {
                worst.fd(G.check("dGate[\(e)] \(label)", values: p.experts[e].gate, analytic: grads.experts[e].gate, sample: 20) {
                    var q = p; q.experts[e].gate = $0; return loss(x, q) })
                worst.fd(G.check("dUp[\(e)] \(label)", values: p.experts[e].up, analytic: grads.experts[e].up, sample: 20) {
                    var q = p; q.experts[e].up = $0; return loss(x, q) })
                worst.fd(G.check("dDown[\(e)] \(label)", values: p.experts[e].down, analytic: grads.experts[e].down, sample: 20) {
                    var q = p; q.experts[e].down = $0; return loss(x, q) })
            }

            let storage = ParameterStorage()
            let fastP = MixtureOfExpertsParameters(
                router: storage.make(p.router),
                experts: p.experts.map { .init(gate: storage.make($0.gate), up: storage.make($0.up), down: storage.make($0.down)) })
            let zero = MixtureOfExpertsReference.Parameters(zerosFor: c)
            let fastG = MixtureOfExpertsParameters(
                router: storage.make(zero.router),
                experts: zero.experts.map { .init(gate: storage.make($0.gate), up: storage.make($0.up), down: storage.make($0.down)) })
            var out = [Float](repeating: 0, count: tokens * hidden), fastX = G.floats(dX0)
            let tape = MixtureOfExpertsTraining.forward(G.floats(x), tokens: tokens, configuration: c, parameters: fastP, into: &out)
            worst.twin(G.compare("out \(label)", out,
                                 MixtureOfExpertsReference.forward(x, tokens: tokens, configuration: c, parameters: p)))
            worst.twin(G.compare("router probabilities \(label)", tape.routerProbabilities,
                                 MixtureOfExpertsReference.probabilities(x, tokens: tokens, configuration: c, router: p.router)))
            XCTAssertEqual(tape.selectedExperts,
                           MixtureOfExpertsReference.selectedExperts(x, tokens: tokens, configuration: c, router: p.router), label)
            let tokenGradient = extra == .perToken ? dP.map(G.floats) : nil
            let expertGradient = extra == .perExpert ? G.floats(perExpert) : nil
            let dOutF = G.floats(dOut)
            if let tokenGradient {
                MixtureOfExpertsTraining.backward(
                    tape: tape, outputGradient: dOutF, configuration: c, parameters: fastP, gradients: fastG,
                    inputGradient: &fastX, routerProbabilityGradient: tokenGradient)
            } else {
                MixtureOfExpertsTraining.backward(
                    tape: tape, outputGradient: dOutF, configuration: c, parameters: fastP, gradients: fastG,
                    inputGradient: &fastX, expertProbabilityGradient: expertGradient)
            }
            worst.twin(G.compare("dX \(label)", fastX, dX, baseline: dX0))
            worst.twin(G.compare("dRouter \(label)", ParameterStorage.read(fastG.router, p.router.count), grads.router))
            for e in 0..<experts where grads.experts[e].down.contains(where: { $0 != 0 }) {
                let f = fastG.experts[e], r = grads.experts[e]
                worst.twin(G.compare("dGate[\(e)] \(label)", ParameterStorage.read(f.gate, r.gate.count), r.gate))
                worst.twin(G.compare("dUp[\(e)] \(label)", ParameterStorage.read(f.up, r.up.count), r.up))
                worst.twin(G.compare("dDown[\(e)] \(label)", ParameterStorage.read(f.down, r.down.count), r.down))
            }
        }
        worst.report()
    }
}
