import Kernels
import MiniMax

/// What one decoder layer's backward needs from its forward.
struct LayerTape {
    enum Mixer {
        case lightning(LightningMixerTape)
        case softmax(SoftmaxMixerTape)
        case none
    }

    /// The layer's input h: [T, D]
    var input: [Float]
    /// After the attention residual: [T, D]
    var afterAttention: [Float]
    var mixer: Mixer
    var moe: MixtureOfExpertsTape?

    static let released = LayerTape(input: [], afterAttention: [], mixer: .none, moe: nil)
}

/// One decoder layer (DESIGN.md §1.2), forward with a tape and backward:
///   n1 = RMSNorm_in(h);   h' = α_attn · r1 + β_attn · Mixer(n1)    (r1 = n1, or h when pre-norm)
///   n2 = RMSNorm_post(h'); h'' = α_mlp · r2 + β_mlp · MoE(n2)       (r2 = n2, or h')
enum DecoderLayerTraining {
    /// h: [T, D], replaced by the layer's output.
    static func forward(
        _ h: inout [Float], tokens: Int, configuration c: Configuration, layer l: Int, parameters p: LayerParameters
    ) -> LayerTape {
        let width = c.hiddenSize, count = tokens * width
        let attention = c.residual(for: c.layerKinds[l]), mlp = c.mlpResidual
        let input = h
        // normed, update: [T, D]
        var normed = [Float](repeating: 0, count: count), update = normed
        RMSNorm.apply(input, rows: tokens, width: width, weight: p.inputNorm, eps: c.rmsNormEpsilon, into: &normed)
        let mixerTape: LayerTape.Mixer
        switch p.mixer {
        case .lightning(let weights):
            mixerTape = .lightning(LightningMixerTraining.forward(
                normed, tokens: tokens, configuration: c, layer: l, parameters: weights, into: &update))
        case .softmax(let weights):
            mixerTape = .softmax(SoftmaxMixerTraining.forward(
                normed, tokens: tokens, configuration: c, parameters: weights, into: &update))
        }
        let residual1 = c.residualIsNormalized ? normed : input
        for i in 0..<count { h[i] = residual1[i] * attention.alpha + update[i] * attention.beta }
        let afterAttention = h
        RMSNorm.apply(afterAttention, rows: tokens, width: width, weight: p.postAttentionNorm, eps: c.rmsNormEpsilon, into: &normed)
        let moeTape = MixtureOfExpertsTraining.forward(normed, tokens: tokens, configuration: c, parameters: p.moe, into: &update)
        let residual2 = c.residualIsNormalized ? normed : afterAttention
        for i in 0..<count { h[i] = residual2[i] * mlp.alpha + update[i] * mlp.beta }
        return LayerTape(input: input, afterAttention: afterAttention, mixer: mixerTape, moe: moeTape)
    }

    /// gradient: dL/d(layer output) [T, D] in, dL/d(layer input) out. Weight gradients accumulate
    /// into `gradients`; `expertProbabilityGradient` [E] is the load-balancing loss's gradient on
    /// each router probability.
    static func backward(
        tape: LayerTape, gradient: inout [Float], configuration c: Configuration, layer l: Int,
        parameters p: LayerParameters, gradients g: LayerParameters, expertProbabilityGradient: [Float]?
    ) {
        guard let moeTape = tape.moe else { preconditionFailure("DecoderLayerTraining: tape already released") }
        let width = c.hiddenSize, tokens = tape.input.count / width, count = tokens * width
        let attention = c.residual(for: c.layerKinds[l]), mlp = c.mlpResidual
        // MoE branch. dUpdate, dNormed: [T, D]
        var dUpdate = gradient.map { $0 * mlp.beta }
        var dNormed = [Float](repeating: 0, count: count)
        var normed = [Float](repeating: 0, count: count)
        RMSNorm.apply(tape.afterAttention, rows: tokens, width: width, weight: p.postAttentionNorm, eps: c.rmsNormEpsilon, into: &normed)
        MixtureOfExpertsTraining.backward(
            tape: moeTape, outputGradient: dUpdate, configuration: c, parameters: p.moe, gradients: g.moe,
            inputGradient: &dNormed, expertProbabilityGradient: expertProbabilityGradient)
        // dAfter: dL/dh' [T, D]
        var dAfter = [Float](repeating: 0, count: count)
        if c.residualIsNormalized {
            for i in 0..<count { dNormed[i] += gradient[i] * mlp.alpha }
        } else {
            for i in 0..<count { dAfter[i] = gradient[i] * mlp.alpha }
        }
        RMSNormBackward.apply(
            input: tape.afterAttention, rows: tokens, width: width, weight: p.postAttentionNorm, eps: c.rmsNormEpsilon,
            outputGradient: dNormed, inputGradient: &dAfter, weightGradient: g.postAttentionNorm)
        // Attention branch.
        for i in 0..<count { dUpdate[i] = dAfter[i] * attention.beta }
        for i in 0..<count { dNormed[i] = 0 }
        switch (tape.mixer, p.mixer, g.mixer) {
        case (.lightning(let mixerTape), .lightning(let weights), .lightning(let weightGradients)):
            LightningMixerTraining.backward(
                tape: mixerTape, outputGradient: dUpdate, configuration: c, layer: l, parameters: weights,
                gradients: weightGradients, inputGradient: &dNormed)
        case (.softmax(let mixerTape), .softmax(let weights), .softmax(let weightGradients)):
            SoftmaxMixerTraining.backward(
                tape: mixerTape, outputGradient: dUpdate, configuration: c, parameters: weights,
                gradients: weightGradients, inputGradient: &dNormed)
        default:
            preconditionFailure("DecoderLayerTraining: tape and parameters of different layer kinds")
        }
        if c.residualIsNormalized {
            for i in 0..<count { dNormed[i] += dAfter[i] * attention.alpha }
            for i in 0..<count { gradient[i] = 0 }
        } else {
            for i in 0..<count { gradient[i] = dAfter[i] * attention.alpha }
        }
        RMSNormBackward.apply(
            input: tape.input, rows: tokens, width: width, weight: p.inputNorm, eps: c.rmsNormEpsilon,
            outputGradient: dNormed, inputGradient: &gradient, weightGradient: g.inputNorm)
    }
}
