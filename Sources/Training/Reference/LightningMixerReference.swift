import Foundation
import MiniMax

/// Plain-loop twin, in Double, of `LightningMixerTraining`.
public enum LightningMixerReference {
    public struct Parameters: Sendable {
        /// [3·H·d, D]; [H·d, D]; [H·d]; [D, H·d]
        public var qkv, outputGate, norm, outputProjection: [Double]

        public init(qkv: [Double], outputGate: [Double], norm: [Double], outputProjection: [Double]) {
            self.qkv = qkv
            self.outputGate = outputGate
            self.norm = norm
            self.outputProjection = outputProjection
        }

        /// All zeros, for gradients.
        public init(zerosFor c: Configuration) {
            let width = c.headCount * c.headDim, hidden = c.hiddenSize
            self.init(qkv: .init(repeating: 0, count: 3 * width * hidden), outputGate: .init(repeating: 0, count: width * hidden),
                      norm: .init(repeating: 0, count: width), outputProjection: .init(repeating: 0, count: hidden * width))
        }
    }

    struct Intermediates {
        var qkvPreActivation, qkv, attended, normed, gatePreActivation, gate, gated, output: [Double]
    }

    static func run(_ x: [Double], tokens: Int, configuration c: Configuration, layer: Int, parameters p: Parameters)
        -> Intermediates
    {
        let width = c.headCount * c.headDim, hidden = c.hiddenSize
        let pre = LinearReference.forward(x, rows: tokens, weight: p.qkv, outputs: 3 * width, inputs: hidden)
        let qkv = pre.map(LinearReference.silu)
        let attended = LightningAttentionReference.forward(
            qkv, tokens: tokens, heads: c.headCount, headDim: c.headDim, slopes: c.lightningSlopes(layer: layer).map(Double.init))
        let normed = RMSNormReference.forward(attended, rows: tokens, width: width, weight: p.norm,
                                              eps: Double(c.lightningNormEpsilon))
        let gatePre = LinearReference.forward(x, rows: tokens, weight: p.outputGate, outputs: width, inputs: hidden)
        let gate = gatePre.map(LinearReference.sigmoid)
        let gated = zip(normed, gate).map { $0 * $1 }
        let output = LinearReference.forward(gated, rows: tokens, weight: p.outputProjection, outputs: hidden, inputs: width)
        return Intermediates(qkvPreActivation: pre, qkv: qkv, attended: attended, normed: normed,
                             gatePreActivation: gatePre, gate: gate, gated: gated, output: output)
    }

    /// x: [T, D] → [T, D]
    public static func forward(_ x: [Double], tokens: Int, configuration: Configuration, layer: Int, parameters: Parameters)
        -> [Double]
    {
        run(x, tokens: tokens, configuration: configuration, layer: layer, parameters: parameters).output
    }

    /// Accumulates weight gradients into `gradients` and dX into `inputGradient`.
    public static func backward(
        _ x: [Double], tokens: Int, configuration c: Configuration, layer: Int, parameters p: Parameters,
        outputGradient dOut: [Double], gradients: inout Parameters, inputGradient dX: inout [Double]
    ) {
        let width = c.headCount * c.headDim, hidden = c.hiddenSize
        let r = run(x, tokens: tokens, configuration: c, layer: layer, parameters: p)
        var dGated = [Double](repeating: 0, count: tokens * width)
        LinearReference.backward(outputGradient: dOut, input: r.gated, rows: tokens, weight: p.outputProjection,
                                 outputs: hidden, inputs: width, inputGradient: &dGated, weightGradient: &gradients.outputProjection)
        let dNormed = (0..<dGated.count).map { dGated[$0] * r.gate[$0] }
        let dGatePre = (0..<dGated.count).map { dGated[$0] * r.normed[$0] * r.gate[$0] * (1 - r.gate[$0]) }
        LinearReference.backward(outputGradient: dGatePre, input: x, rows: tokens, weight: p.outputGate, outputs: width,
                                 inputs: hidden, inputGradient: &dX, weightGradient: &gradients.outputGate)
        var dAttended = [Double](repeating: 0, count: tokens * width)
        RMSNormReference.backward(r.attended, rows: tokens, width: width, weight: p.norm, eps: Double(c.lightningNormEpsilon),
                                  outputGradient: dNormed, inputGradient: &dAttended, weightGradient: &gradients.norm)
        var dQKV = [Double](repeating: 0, count: tokens * 3 * width)
        LightningAttentionReference.backward(
            r.qkv, tokens: tokens, heads: c.headCount, headDim: c.headDim,
            slopes: c.lightningSlopes(layer: layer).map(Double.init), outputGradient: dAttended, qkvGradient: &dQKV)
        let dPre = (0..<dQKV.count).map { dQKV[$0] * LinearReference.siluDerivative(r.qkvPreActivation[$0]) }
        LinearReference.backward(outputGradient: dPre, input: x, rows: tokens, weight: p.qkv, outputs: 3 * width,
                                 inputs: hidden, inputGradient: &dX, weightGradient: &gradients.qkv)
    }
}
