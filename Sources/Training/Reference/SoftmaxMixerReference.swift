import Foundation
import Kernels
import MiniMax

/// Plain-loop twin, in Double, of `SoftmaxMixerTraining`.
public enum SoftmaxMixerReference {
    public struct Parameters: Sendable {
        /// [H·d, D]; [H_kv·d, D]; [H_kv·d, D]; [D, H·d]
        public var query, key, value, output: [Double]

        public init(query: [Double], key: [Double], value: [Double], output: [Double]) {
            self.query = query
            self.key = key
            self.value = value
            self.output = output
        }

        /// All zeros, for gradients.
        public init(zerosFor c: Configuration) {
            let width = c.headCount * c.headDim, keyValueWidth = c.keyValueHeadCount * c.headDim, hidden = c.hiddenSize
            self.init(query: .init(repeating: 0, count: width * hidden), key: .init(repeating: 0, count: keyValueWidth * hidden),
                      value: .init(repeating: 0, count: keyValueWidth * hidden), output: .init(repeating: 0, count: hidden * width))
        }
    }

    /// Rotated q, k and v, and the attention output.
    static func attentionInputs(_ x: [Double], tokens: Int, configuration c: Configuration, parameters p: Parameters)
        -> (q: [Double], k: [Double], v: [Double])
    {
        let d = c.headDim, hidden = c.hiddenSize
        let frequencies = RoPE.inverseFrequencies(theta: c.ropeTheta, rotaryDim: c.rotaryDim)
        let q = LinearReference.forward(x, rows: tokens, weight: p.query, outputs: c.headCount * d, inputs: hidden)
        let k = LinearReference.forward(x, rows: tokens, weight: p.key, outputs: c.keyValueHeadCount * d, inputs: hidden)
        let v = LinearReference.forward(x, rows: tokens, weight: p.value, outputs: c.keyValueHeadCount * d, inputs: hidden)
        return (SoftmaxAttentionReference.rope(q, tokens: tokens, heads: c.headCount, headDim: d, rotaryDim: c.rotaryDim,
                                               inverseFrequencies: frequencies),
                SoftmaxAttentionReference.rope(k, tokens: tokens, heads: c.keyValueHeadCount, headDim: d,
                                               rotaryDim: c.rotaryDim, inverseFrequencies: frequencies), v)
    }

    /// x: [T, D] → [T, D]
    public static func forward(_ x: [Double], tokens: Int, configuration c: Configuration, parameters p: Parameters)
        -> [Double]
    {
        let (q, k, v) = attentionInputs(x, tokens: tokens, configuration: c, parameters: p)
        let attended = SoftmaxAttentionReference.forward(
            queries: q, keys: k, values: v, tokens: tokens, heads: c.headCount, keyValueHeads: c.keyValueHeadCount,
            headDim: c.headDim, window: c.slidingWindow)
        return LinearReference.forward(attended, rows: tokens, weight: p.output, outputs: c.hiddenSize,
                                       inputs: c.headCount * c.headDim)
    }

    /// Accumulates weight gradients into `gradients` and dX into `inputGradient`.
    public static func backward(
        _ x: [Double], tokens: Int, configuration c: Configuration, parameters p: Parameters,
        outputGradient dOut: [Double], gradients: inout Parameters, inputGradient dX: inout [Double]
    ) {
        let d = c.headDim, width = c.headCount * d, keyValueWidth = c.keyValueHeadCount * d, hidden = c.hiddenSize
        let frequencies = RoPE.inverseFrequencies(theta: c.ropeTheta, rotaryDim: c.rotaryDim)
        let (q, k, v) = attentionInputs(x, tokens: tokens, configuration: c, parameters: p)
        let attended = SoftmaxAttentionReference.forward(
            queries: q, keys: k, values: v, tokens: tokens, heads: c.headCount, keyValueHeads: c.keyValueHeadCount,
            headDim: d, window: c.slidingWindow)
        var dAttended = [Double](repeating: 0, count: tokens * width)
        LinearReference.backward(outputGradient: dOut, input: attended, rows: tokens, weight: p.output, outputs: hidden,
                                 inputs: width, inputGradient: &dAttended, weightGradient: &gradients.output)
        var dq = [Double](repeating: 0, count: tokens * width), dk = [Double](repeating: 0, count: tokens * keyValueWidth)
        var dv = dk
        SoftmaxAttentionReference.backward(
            queries: q, keys: k, values: v, tokens: tokens, heads: c.headCount, keyValueHeads: c.keyValueHeadCount,
            headDim: d, window: c.slidingWindow, outputGradient: dAttended, queryGradient: &dq, keyGradient: &dk,
            valueGradient: &dv)
        dq = SoftmaxAttentionReference.rope(dq, tokens: tokens, heads: c.headCount, headDim: d, rotaryDim: c.rotaryDim,
                                            inverseFrequencies: frequencies, inverse: true)
        dk = SoftmaxAttentionReference.rope(dk, tokens: tokens, heads: c.keyValueHeadCount, headDim: d,
                                            rotaryDim: c.rotaryDim, inverseFrequencies: frequencies, inverse: true)
        LinearReference.backward(outputGradient: dq, input: x, rows: tokens, weight: p.query, outputs: width,
                                 inputs: hidden, inputGradient: &dX, weightGradient: &gradients.query)
        LinearReference.backward(outputGradient: dk, input: x, rows: tokens, weight: p.key, outputs: keyValueWidth,
                                 inputs: hidden, inputGradient: &dX, weightGradient: &gradients.key)
        LinearReference.backward(outputGradient: dv, input: x, rows: tokens, weight: p.value, outputs: keyValueWidth,
                                 inputs: hidden, inputGradient: &dX, weightGradient: &gradients.value)
    }
}
