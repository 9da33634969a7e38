import Foundation
import MiniMax

/// Plain-loop twin, in Double, of `MixtureOfExpertsTraining`, token by token (no grouping), with
/// the routing Jacobians written out element by element.
public enum MixtureOfExpertsReference {
    public struct Expert: Sendable {
        /// W1 [I, D]; W3 [I, D]; W2 [D, I]
        public var gate, up, down: [Double]

        public init(gate: [Double], up: [Double], down: [Double]) {
            self.gate = gate
            self.up = up
            self.down = down
        }
    }

    public struct Parameters: Sendable {
        /// [E, D]
        public var router: [Double]
        public var experts: [Expert]

        public init(router: [Double], experts: [Expert]) {
            self.router = router
            self.experts = experts
        }

        /// All zeros, for gradients.
        public init(zerosFor c: Configuration) {
            let hidden = c.hiddenSize, inner = c.intermediateSize
            let zero = Expert(gate: .init(repeating: 0, count: inner * hidden), up: .init(repeating: 0, count: inner * hidden),
                              down: .init(repeating: 0, count: hidden * inner))
            self.init(router: .init(repeating: 0, count: c.expertCount * hidden),
                      experts: .init(repeating: zero, count: c.expertCount))
        }
    }

    /// Softmax probabilities [E] and the top-k experts (largest first, lower index on ties) of one token.
    static func route(_ x: ArraySlice<Double>, configuration c: Configuration, router: [Double]) -> ([Double], [Int]) {
        let hidden = c.hiddenSize, base = x.startIndex
        var logits = [Double](repeating: 0, count: c.expertCount)
        for e in 0..<c.expertCount {
            for i in 0..<hidden { logits[e] += router[e * hidden + i] * x[base + i] }
        }
        let top = logits.max() ?? 0
        let exps = logits.map { exp($0 - top) }, total = exps.reduce(0, +)
        let p = exps.map { $0 / total }
        let chosen = Array(p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(c.expertsPerToken))
        return (p, chosen)
    }

    /// SwiGLU expert on one token: (gate pre-activation [I], up [I], output [D]).
    static func expert(_ x: ArraySlice<Double>, _ w: Expert, hidden: Int, inner: Int) -> ([Double], [Double], [Double]) {
        let base = x.startIndex
        var g = [Double](repeating: 0, count: inner), u = g, y = [Double](repeating: 0, count: hidden)
        for r in 0..<inner {
            for i in 0..<hidden {
                g[r] += w.gate[r * hidden + i] * x[base + i]
                u[r] += w.up[r * hidden + i] * x[base + i]
            }
        }
        for o in 0..<hidden {
            for r in 0..<inner { y[o] += w.down[o * inner + r] * LinearReference.silu(g[r]) * u[r] }
        }
        return (g, u, y)
    }

    /// The router probabilities of every token: [T, E] (what a load-balancing loss reads).
    public static func probabilities(_ x: [Double], tokens: Int, configuration c: Configuration, router: [Double]) -> [Double] {
        (0..<tokens).flatMap { t in
            route(x[(t * c.hiddenSize)..<((t + 1) * c.hiddenSize)], configuration: c, router: router).0
        }
    }

    /// The top-k experts of every token: [T, k].
    public static func selectedExperts(_ x: [Double], tokens: Int, configuration c: Configuration, router: [Double]) -> [Int] {
        (0..<tokens).flatMap { t in
            route(x[(t * c.hiddenSize)..<((t + 1) * c.hiddenSize)], configuration: c, router: router).1
        }
    }

    /// x: [T, D] → [T, D]
    public static func forward(_ x: [Double], tokens: Int, configuration c: Configuration, parameters p: Parameters)
        -> [Double]
    {
        let hidden = c.hiddenSize
        var out = [Double](repeating: 0, count: tokens * hidden)
        for t in 0..<tokens {
            let xt = x[(t * hidden)..<((t + 1) * hidden)]
            let (prob, chosen) = route(xt, configuration: c, router: p.router)
            let total = chosen.reduce(0) { $0 + prob[$1] }
            for e in chosen {
                let (_, _, y) = expert(xt, p.experts[e], hidden: hidden, inner: c.intermediateSize)
                for o in 0..<hidden { out[t * hidden + o] += prob[e] / total * y[o] }
            }
        }
        return out
    }

    /// Accumulates weight gradients into `gradients` and dX into `inputGradient`;
    /// `probabilityGradient` [T, E] is added to ∂L/∂p (a load-balancing loss).
    public static func backward(
        _ x: [Double], tokens: Int, configuration c: Configuration, parameters p: Parameters,
        outputGradient dOut: [Double], probabilityGradient: [Double]? = nil,
        gradients: inout Parameters, inputGradient dX: inout [Double]
    ) {
        let hidden = c.hiddenSize, inner = c.intermediateSize, experts = c.expertCount
        for t in 0..<tokens {
            let xt = x[(t * hidden)..<((t + 1) * hidden)]
            let (prob, chosen) = route(xt, configuration: c, router: p.router)
            let total = chosen.reduce(0) { $0 + prob[$1] }
            var dProb = (0..<experts).map { probabilityGradient?[t * experts + $0] ?? 0 }
            for e in chosen {
                let w = p.experts[e], (g, u, y) = expert(xt, w, hidden: hidden, inner: inner)
                let weight = prob[e] / total
                var dWeight = 0.0
                for o in 0..<hidden { dWeight += dOut[t * hidden + o] * y[o] }
                // ∂w_e/∂p_f = δ_ef / Z − p_e / Z² for every selected f
                for f in chosen { dProb[f] += dWeight * ((f == e ? 1 / total : 0) - prob[e] / (total * total)) }
                var dHidden = [Double](repeating: 0, count: inner)
                for o in 0..<hidden {
                    let dy = weight * dOut[t * hidden + o]
                    for r in 0..<inner {
                        gradients.experts[e].down[o * inner + r] += dy * LinearReference.silu(g[r]) * u[r]
                        dHidden[r] += dy * w.down[o * inner + r]
                    }
                }
                for r in 0..<inner {
                    let dg = dHidden[r] * u[r] * LinearReference.siluDerivative(g[r])
                    let du = dHidden[r] * LinearReference.silu(g[r])
                    for i in 0..<hidden {
                        gradients.experts[e].gate[r * hidden + i] += dg * x[t * hidden + i]
                        gradients.experts[e].up[r * hidden + i] += du * x[t * hidden + i]
                        dX[t * hidden + i] += dg * w.gate[r * hidden + i] + du * w.up[r * hidden + i]
                    }
                }
            }
            // ∂p_e/∂logit_f = p_e (δ_ef − p_f)
            for f in 0..<experts {
                var dLogit = 0.0
                for e in 0..<experts { dLogit += dProb[e] * prob[e] * ((e == f ? 1 : 0) - prob[f]) }
                for i in 0..<hidden {
                    gradients.router[f * hidden + i] += dLogit * x[t * hidden + i]
                    dX[t * hidden + i] += dLogit * p.router[f * hidden + i]
                }
            }
        }
    }
}
