import Kernels
import MiniMax
import Tensors

extension MixtureOfExpertsTraining {
    /// dOut: [T, D]. ACCUMULATES every weight gradient into `gradients` and dX into
    /// `inputGradient`: [T, D].
    ///
    /// Routing gradient: with Z = Σ_{selected} p and w_j = p_{c_j} / Z,
    ///   ∂L/∂p_{c_j} = (∂L/∂w_j − Σ_l ∂L/∂w_l · w_l) / Z  for selected experts, 0 for the others
    /// (the top-k choice itself is piecewise constant); then the softmax backward
    ///   ∂L/∂logit_e = p_e (∂L/∂p_e − Σ_f p_f ∂L/∂p_f) reaches every expert's logit.
    /// Extra gradients on the router probabilities (a load-balancing loss) join ∂L/∂p before the
    /// softmax backward: `routerProbabilityGradient` [T, E] per token, and/or
    /// `expertProbabilityGradient` [E] added to every token's row.
    public static func backward(
        tape: MixtureOfExpertsTape, outputGradient dOut: UnsafePointer<Float>, configuration c: Configuration,
        parameters p: MixtureOfExpertsParameters, gradients: MixtureOfExpertsParameters,
        inputGradient dX: UnsafeMutablePointer<Float>,
        routerProbabilityGradient: UnsafePointer<Float>? = nil, expertProbabilityGradient: [Float]? = nil
    ) {
        let tokens = tape.tokens, experts = c.expertCount, k = c.expertsPerToken
        let hidden = c.hiddenSize, inner = c.intermediateSize
        precondition(expertProbabilityGradient.map { $0.count == experts } ?? true, "expertProbabilityGradient: [E]")
        // dRouteWeights: [T, k]; dLogits: [T, E]; dProbabilities: [E] of one token
        ScratchMemory.withFloats(tokens * k + tokens * experts + experts) { dRouteWeights in
            let dLogits = dRouteWeights + tokens * k, dProbabilities = dLogits + tokens * experts
            dRouteWeights.initialize(repeating: 0, count: tokens * k)
            tape.input.withUnsafeBufferPointer { x in
                for e in 0..<experts where !tape.routedPairs[e].isEmpty {
                    expertBackward(
                        e, tape: tape, outputGradient: dOut, input: x.baseAddress!, hidden: hidden, inner: inner, k: k,
                        expert: p.experts[e], gradient: gradients.experts[e], inputGradient: dX,
                        routeWeightGradient: dRouteWeights)
                }
            }
            tape.routerProbabilities.withUnsafeBufferPointer { allProbabilities in
            for t in 0..<tokens {
                let probabilities = allProbabilities.baseAddress! + t * experts
                for e in 0..<experts {
                    dProbabilities[e] = (routerProbabilityGradient?[t * experts + e] ?? 0)
                        + (expertProbabilityGradient?[e] ?? 0)
                }
                var total: Float = 0, weighted: Float = 0
                for j in 0..<k {
                    total += probabilities[tape.selectedExperts[t * k + j]]
                    weighted += dRouteWeights[t * k + j] * tape.routeWeights[t * k + j]
                }
                for j in 0..<k {
                    dProbabilities[tape.selectedExperts[t * k + j]] += (dRouteWeights[t * k + j] - weighted) / total
                }
                let expected = Dot.product(probabilities, dProbabilities, count: experts)
                for e in 0..<experts { dLogits[t * experts + e] = probabilities[e] * (dProbabilities[e] - expected) }
            }
            }
            tape.input.withUnsafeBufferPointer { x in
                Linear.backward(
                    outputGradient: dLogits, input: x.baseAddress!, rows: tokens, weight: p.router, outputs: experts,
                    inputs: hidden, inputGradient: dX, weightGradient: gradients.router)
            }
        }
    }

    /// One expert's tokens: weight gradients of W1, W3, W2; dX of its tokens; ∂L/∂w of each pair.
    static func expertBackward(
        _ e: Int, tape: MixtureOfExpertsTape, outputGradient dOut: UnsafePointer<Float>, input x: UnsafePointer<Float>,
        hidden: Int, inner: Int, k: Int, expert: ExpertParameters, gradient: ExpertParameters,
        inputGradient dX: UnsafeMutablePointer<Float>, routeWeightGradient dRouteWeights: UnsafeMutablePointer<Float>
    ) {
        let pairs = tape.routedPairs[e], n = pairs.count
        let gatePre = tape.gatePreActivations[e], up = tape.upProjections[e], y = tape.expertOutputs[e]
        // gathered, dY, dGathered: [n, D]; activated, dActivated, dGate, dUp: [n, I]
        ScratchMemory.withFloats(n * (3 * hidden + 4 * inner)) { gathered in
            let dY = gathered + n * hidden, dGathered = dY + n * hidden, activated = dGathered + n * hidden
            let dActivated = activated + n * inner, dGate = dActivated + n * inner, dUp = dGate + n * inner
            for (i, pair) in pairs.enumerated() {
                let row = dOut + pair.token * hidden, w = tape.routeWeights[pair.token * k + pair.slot]
                (gathered + i * hidden).update(from: x + pair.token * hidden, count: hidden)
                // out[t] += w · y_i: dY_i = w · dOut[t], ∂L/∂w = dOut[t] · y_i
                for col in 0..<hidden { dY[i * hidden + col] = w * row[col] }
                y.withUnsafeBufferPointer { y in
                    dRouteWeights[pair.token * k + pair.slot] += Dot.product(row, y.baseAddress! + i * hidden, count: hidden)
                }
            }
            activated.update(from: gatePre, count: n * inner)
            VectorMath.siluInPlace(activated, count: n * inner)
            for i in 0..<(n * inner) { activated[i] *= up[i] }
            dActivated.initialize(repeating: 0, count: n * inner)
            Linear.backward(
                outputGradient: dY, input: activated, rows: n, weight: expert.down, outputs: hidden, inputs: inner,
                inputGradient: dActivated, weightGradient: gradient.down)
            ElementwiseBackward.swiGLU(
                gate: gatePre, up: up, outputGradient: dActivated, gateGradient: dGate, upGradient: dUp, count: n * inner)
            dGathered.initialize(repeating: 0, count: n * hidden)
            Linear.backward(
                outputGradient: dGate, input: gathered, rows: n, weight: expert.gate, outputs: inner, inputs: hidden,
                inputGradient: dGathered, weightGradient: gradient.gate)
            Linear.backward(
                outputGradient: dUp, input: gathered, rows: n, weight: expert.up, outputs: inner, inputs: hidden,
                inputGradient: dGathered, weightGradient: gradient.up)
            for (i, pair) in pairs.enumerated() {
                Dot.axpy(1, dGathered + i * hidden, dX + pair.token * hidden, count: hidden)
            }
        }
    }
}
