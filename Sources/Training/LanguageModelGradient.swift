import Foundation
import Kernels
import MiniMax

/// The loss of one sequence and what the trainer reports about it.
public struct SequenceLoss: Sendable, Equatable {
    /// Σ over predicted tokens of −log p(target).
    public var crossEntropySum: Double
    /// Tokens whose prediction counts.
    public var predictedTokens: Int
    /// The Switch load-balancing loss of this sequence (E · Σ_e f_e · P̄_e over all layers' rows).
    public var auxiliary: Double
    /// Rows routed to each expert, summed over layers: [E].
    public var expertLoad: [Int]
    /// Per position, the predicted token's statistics (nil where the mask is false): [T].
    public var tokens: [TokenStatistics?] = []
}

/// Next-token training of the whole model over one sequence (DESIGN.md §1.2): embed → layers →
/// final norm → fp32 LM head + cross-entropy, forward with a tape per layer, then backward through
/// the same path in reverse.
public enum LanguageModelGradient {
    /// inputs, targets, mask: [T] (target t is predicted from inputs 0…t when mask[t]).
    /// With `gradients`, accumulates ∂/∂θ of
    ///   lossScale · Σ_{t: mask} CE_t  +  auxiliaryScale · aux
    /// into it. Returns the unscaled sums.
    public static func run(
        parameters store: ParameterStore, gradients gradientStore: ParameterStore?,
        inputs: [Int], targets: [Int], mask: [Bool], lossScale: Float = 1, auxiliaryScale: Float = 0
    ) -> SequenceLoss {
        run(parameters: store, gradients: gradientStore, inputs: inputs, targets: targets, mask: mask,
            tokenWeight: { _, _ in lossScale }, auxiliaryScale: auxiliaryScale)
    }

    /// The same with a weight per predicted token, `tokenWeight(t, −log p_t)`, which may depend
    /// on the token's own probability under the current weights (the RL objectives' weights do):
    /// the gradient is that of Σ_t w_t · CE_t, w_t held constant.
    public static func run(
        parameters store: ParameterStore, gradients gradientStore: ParameterStore?,
        inputs: [Int], targets: [Int], mask: [Bool], tokenWeight: (Int, Double) -> Float, auxiliaryScale: Float = 0
    ) -> SequenceLoss {
        let c = store.tree.configuration
        let tokens = inputs.count, width = c.hiddenSize
        precondition(tokens > 0 && targets.count == tokens && mask.count == tokens, "LanguageModelGradient: [T] inputs")
        let p = ModelParameters(store)
        // h: [T, D], the residual stream
        var h = [Float](repeating: 0, count: tokens * width)
        for (t, id) in inputs.enumerated() {
            for i in 0..<width { h[t * width + i] = p.embedding[id * width + i] }
        }
        var tapes: [LayerTape] = []
        tapes.reserveCapacity(c.layerCount)
        for l in 0..<c.layerCount {
            tapes.append(DecoderLayerTraining.forward(&h, tokens: tokens, configuration: c, layer: l, parameters: p.layers[l]))
        }
        // Load balancing over every layer's rows, as transformers concatenates them.
        let balance = LoadBalancingLoss(tapes.compactMap(\.moe), configuration: c)
        // normed: [T, D]
        var normed = [Float](repeating: 0, count: tokens * width)
        RMSNorm.apply(h, rows: tokens, width: width, weight: p.finalNorm, eps: c.rmsNormEpsilon, into: &normed)
        let predicted = mask.filter { $0 }.count
        guard let gradientStore else {
            let ce = CrossEntropyHead.loss(
                hidden: normed, rows: tokens, width: width, head: p.lmHead, vocabulary: c.vocabularySize,
                targets: targets, predicted: mask, weight: { _, _ in 1 })
            return SequenceLoss(
                crossEntropySum: ce.total, predictedTokens: predicted, auxiliary: balance.loss, expertLoad: balance.load,
                tokens: ce.rows)
        }
        let g = ModelParameters(gradientStore)
        // dNormed, dH: [T, D]
        var dNormed = [Float](repeating: 0, count: tokens * width)
        let ce = CrossEntropyHead.loss(
            hidden: normed, rows: tokens, width: width, head: p.lmHead, vocabulary: c.vocabularySize, targets: targets,
            predicted: mask, weight: tokenWeight, hiddenGradient: &dNormed, headGradient: g.lmHead)
        var dH = [Float](repeating: 0, count: tokens * width)
        RMSNormBackward.apply(
            input: h, rows: tokens, width: width, weight: p.finalNorm, eps: c.rmsNormEpsilon, outputGradient: dNormed,
            inputGradient: &dH, weightGradient: g.finalNorm)
        let expertGradient = auxiliaryScale == 0 ? nil : balance.probabilityGradient(scale: auxiliaryScale)
        for l in stride(from: c.layerCount - 1, through: 0, by: -1) {
            DecoderLayerTraining.backward(
                tape: tapes[l], gradient: &dH, configuration: c, layer: l, parameters: p.layers[l],
                gradients: g.layers[l], expertProbabilityGradient: expertGradient)
            tapes[l] = LayerTape.released
        }
        // The embedding's gradient: each input row's gradient lands in its token's row.
        for (t, id) in inputs.enumerated() {
            let row = g.embedding + id * width
            for i in 0..<width { row[i] += dH[t * width + i] }
        }
        // The weights are folded into the gradient; report the unweighted sum.
        let crossEntropy = ce.rows.reduce(0.0) { $0 + ($1?.negativeLogProbability ?? 0) }
        return SequenceLoss(
            crossEntropySum: crossEntropy, predictedTokens: predicted, auxiliary: balance.loss, expertLoad: balance.load,
            tokens: ce.rows)
    }
}
