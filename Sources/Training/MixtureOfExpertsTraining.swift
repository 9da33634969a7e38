import Kernels
import MiniMax
import Tensors

/// fp32 weights of one SwiGLU expert; the same shape holds their gradients.
public struct ExpertParameters: @unchecked Sendable {
    /// W1 [I, D]
    public var gate: UnsafeMutablePointer<Float>
    /// W3 [I, D]
    public var up: UnsafeMutablePointer<Float>
    /// W2 [D, I]
    public var down: UnsafeMutablePointer<Float>

    public init(gate: UnsafeMutablePointer<Float>, up: UnsafeMutablePointer<Float>, down: UnsafeMutablePointer<Float>) {
        self.gate = gate
        self.up = up
        self.down = down
    }
}

/// fp32 weights of one mixture-of-experts block (DESIGN.md §1.5); the same shape holds their gradients.
public struct MixtureOfExpertsParameters: @unchecked Sendable {
    /// [E, D]
    public var router: UnsafeMutablePointer<Float>
    public var experts: [ExpertParameters]

    public init(router: UnsafeMutablePointer<Float>, experts: [ExpertParameters]) {
        self.router = router
        self.experts = experts
    }
}

/// What the MoE backward needs from its forward, and what a load-balancing loss reads.
public struct MixtureOfExpertsTape: Sendable {
    public let tokens: Int
    /// softmax over all router logits: [T, E]
    public let routerProbabilities: [Float]
    /// the top-k experts of each token, largest probability first: [T, k]
    public let selectedExperts: [Int]
    /// the renormalised weights of the selected experts: [T, k]
    public let routeWeights: [Float]
    /// x: [T, D]
    let input: [Float]
    /// per expert: the (token, slot) pairs routed to it, in token order (slot j of token t is
    /// selectedExperts[t·k + j]); the SwiGLU pre-activations W1·x and W3·x [n, I]; the expert output [n, D]
    let routedPairs: [[(token: Int, slot: Int)]]
    let gatePreActivations: [[Float]], upProjections: [[Float]], expertOutputs: [[Float]]
}

/// The MoE block over T tokens, forward with a tape and backward, with the routing and the order of
/// operations of `MixtureOfExperts` (tokens grouped by expert, experts added in expert order).
public enum MixtureOfExpertsTraining {
    /// x: [T, D] → out: [T, D] (overwritten); returns the tape for `backward`.
    public static func forward(
        _ x: UnsafePointer<Float>, tokens: Int, configuration c: Configuration,
        parameters p: MixtureOfExpertsParameters, into out: UnsafeMutablePointer<Float>
    ) -> MixtureOfExpertsTape {
        precondition(tokens > 0 && p.experts.count == c.expertCount, "MixtureOfExpertsTraining sizes")
        let experts = c.expertCount, k = c.expertsPerToken, hidden = c.hiddenSize, inner = c.intermediateSize
        var probabilities = [Float](repeating: 0, count: tokens * experts)
        var selected = [Int](repeating: 0, count: tokens * k), weights = [Float](repeating: 0, count: tokens * k)
        var routed = [[(token: Int, slot: Int)]](repeating: [], count: experts)
        probabilities.withUnsafeMutableBufferPointer { probabilities in
            let probabilities = probabilities.baseAddress!
            // The router stays exact fp32, as in inference: routing decisions are discrete.
            Linear.forward(x, rows: tokens, weight: p.router, outputs: experts, inputs: hidden, into: probabilities)
            selected.withUnsafeMutableBufferPointer { chosen in
                for t in 0..<tokens {
                    let row = probabilities + t * experts
                    Softmax.inPlace(row, count: experts)
                    TopK.select(row, count: experts, k: k, into: chosen.baseAddress! + t * k)
                    var total: Float = 0
                    for j in 0..<k { total += row[chosen[t * k + j]] }
                    for j in 0..<k {
                        weights[t * k + j] = row[chosen[t * k + j]] / total
                        routed[chosen[t * k + j]].append((t, j))
                    }
                }
            }
        }
        var gatePre: [[Float]] = [], up: [[Float]] = [], outputs: [[Float]] = []
        out.initialize(repeating: 0, count: tokens * hidden)
        for e in 0..<experts {
            let pairs = routed[e], n = pairs.count
            var g = [Float](repeating: 0, count: n * inner), u = g, y = [Float](repeating: 0, count: n * hidden)
            if n > 0 {
                // gathered: [n, D]; activated: [n, I]
                ScratchMemory.withFloats(n * (hidden + inner)) { gathered in
                    let activated = gathered + n * hidden
                    for (i, pair) in pairs.enumerated() {
                        (gathered + i * hidden).update(from: x + pair.token * hidden, count: hidden)
                    }
                    let expert = p.experts[e]
                    g.withUnsafeMutableBufferPointer { g in
                        Linear.forward(gathered, rows: n, weight: expert.gate, outputs: inner, inputs: hidden,
                                       into: g.baseAddress!)
                    }
                    u.withUnsafeMutableBufferPointer { u in
                        Linear.forward(gathered, rows: n, weight: expert.up, outputs: inner, inputs: hidden,
                                       into: u.baseAddress!)
                    }
                    activated.update(from: g, count: n * inner)
                    VectorMath.siluInPlace(activated, count: n * inner)
                    for i in 0..<(n * inner) { activated[i] *= u[i] }
                    y.withUnsafeMutableBufferPointer { y in
                        Linear.forward(activated, rows: n, weight: expert.down, outputs: hidden, inputs: inner,
                                       into: y.baseAddress!)
                    }
                    for (i, pair) in pairs.enumerated() {
                        let o = out + pair.token * hidden, w = weights[pair.token * k + pair.slot]
                        for col in 0..<hidden { o[col] += w * y[i * hidden + col] }
                    }
                }
            }
            gatePre.append(g)
            up.append(u)
            outputs.append(y)
        }
        return MixtureOfExpertsTape(
            tokens: tokens, routerProbabilities: probabilities, selectedExperts: selected, routeWeights: weights,
            input: Array(UnsafeBufferPointer(start: x, count: tokens * hidden)), routedPairs: routed,
            gatePreActivations: gatePre, upProjections: up, expertOutputs: outputs)
    }
}
