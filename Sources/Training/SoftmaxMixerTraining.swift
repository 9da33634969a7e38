import Kernels
import MiniMax
import Tensors

/// fp32 weights of one softmax attention mixer (DESIGN.md §1.4); the same shape holds their gradients.
public struct SoftmaxMixerParameters: @unchecked Sendable {
    /// [H·d, D]
    public var query: UnsafeMutablePointer<Float>
    /// [H_kv·d, D]
    public var key: UnsafeMutablePointer<Float>
    /// [H_kv·d, D]
    public var value: UnsafeMutablePointer<Float>
    /// [D, H·d]
    public var output: UnsafeMutablePointer<Float>

    public init(
        query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>, value: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        self.query = query
        self.key = key
        self.value = value
        self.output = output
    }
}

/// What the softmax mixer's backward needs from its forward.
public struct SoftmaxMixerTape: Sendable {
    public let tokens: Int
    /// x: [T, D]
    let input: [Float]
    /// rotated queries [T, H, d]; rotated keys and values [T, H_kv, d]
    let queries: [Float], keys: [Float], values: [Float]
    /// attention output [T, H, d] and its row log-sum-exp [T, H]
    let attended: [Float], logSumExp: [Float]
}

/// The softmax mixer over one sequence (positions 0 ..< T, empty cache), forward with a tape and
/// backward, with the same math as `SoftmaxAttentionLayer`: q/k/v projections → RoPE on the first
/// rotaryDim features of q and k → causal GQA attention (windowed when the configuration has a
/// sliding window) → o_proj.
public enum SoftmaxMixerTraining {
    /// x: [T, D] → out: [T, D] (overwritten); returns the tape for `backward`.
    public static func forward(
        _ x: UnsafePointer<Float>, tokens: Int, configuration c: Configuration, parameters p: SoftmaxMixerParameters,
        into out: UnsafeMutablePointer<Float>
    ) -> SoftmaxMixerTape {
        precondition(tokens > 0, "SoftmaxMixerTraining: empty sequence")
        let d = c.headDim, width = c.headCount * d, keyValueWidth = c.keyValueHeadCount * d, hidden = c.hiddenSize
        let inverseFrequencies = RoPE.inverseFrequencies(theta: c.ropeTheta, rotaryDim: c.rotaryDim)
        var q = [Float](repeating: 0, count: tokens * width), k = [Float](repeating: 0, count: tokens * keyValueWidth)
        var v = k, attended = q, logSumExp = [Float](repeating: 0, count: tokens * c.headCount)
        q.withUnsafeMutableBufferPointer { q in
            Linear.forward(x, rows: tokens, weight: p.query, outputs: width, inputs: hidden, into: q.baseAddress!)
            RoPE.apply(q.baseAddress!, tokens: tokens, heads: c.headCount, headDim: d, rotaryDim: c.rotaryDim,
                       firstPosition: 0, inverseFrequencies: inverseFrequencies)
        }
        k.withUnsafeMutableBufferPointer { k in
            Linear.forward(x, rows: tokens, weight: p.key, outputs: keyValueWidth, inputs: hidden, into: k.baseAddress!)
            RoPE.apply(k.baseAddress!, tokens: tokens, heads: c.keyValueHeadCount, headDim: d, rotaryDim: c.rotaryDim,
                       firstPosition: 0, inverseFrequencies: inverseFrequencies)
        }
        v.withUnsafeMutableBufferPointer { v in
            Linear.forward(x, rows: tokens, weight: p.value, outputs: keyValueWidth, inputs: hidden, into: v.baseAddress!)
        }
        attended.withUnsafeMutableBufferPointer { o in
            logSumExp.withUnsafeMutableBufferPointer { lse in
                SoftmaxAttentionBackward.forward(
                    queries: q, keys: k, values: v, tokens: tokens, heads: c.headCount,
                    keyValueHeads: c.keyValueHeadCount, headDim: d, window: c.slidingWindow,
                    out: o.baseAddress!, logSumExp: lse.baseAddress!)
            }
        }
        Linear.forward(attended, rows: tokens, weight: p.output, outputs: hidden, inputs: width, into: out)
        return SoftmaxMixerTape(
            tokens: tokens, input: Array(UnsafeBufferPointer(start: x, count: tokens * hidden)), queries: q, keys: k,
            values: v, attended: attended, logSumExp: logSumExp)
    }

    /// dOut: [T, D]. ACCUMULATES every weight gradient into `gradients` and dX into
    /// `inputGradient`: [T, D].
    public static func backward(
        tape: SoftmaxMixerTape, outputGradient dOut: UnsafePointer<Float>, configuration c: Configuration,
        parameters p: SoftmaxMixerParameters, gradients: SoftmaxMixerParameters,
        inputGradient dX: UnsafeMutablePointer<Float>
    ) {
        let tokens = tape.tokens, d = c.headDim, width = c.headCount * d, keyValueWidth = c.keyValueHeadCount * d
        let hidden = c.hiddenSize
        let inverseFrequencies = RoPE.inverseFrequencies(theta: c.ropeTheta, rotaryDim: c.rotaryDim)
        // dAttended, dQ: [T, H·d]; dK, dV: [T, H_kv·d]
        ScratchMemory.withFloats(2 * tokens * width + 2 * tokens * keyValueWidth) { dAttended in
            let dQ = dAttended + tokens * width, dK = dQ + tokens * width, dV = dK + tokens * keyValueWidth
            dAttended.initialize(repeating: 0, count: 2 * tokens * width + 2 * tokens * keyValueWidth)
            Linear.backward(
                outputGradient: dOut, input: tape.attended, rows: tokens, weight: p.output, outputs: hidden,
                inputs: width, inputGradient: dAttended, weightGradient: gradients.output)
            SoftmaxAttentionBackward.backward(
                queries: tape.queries, keys: tape.keys, values: tape.values, output: tape.attended,
                logSumExp: tape.logSumExp, outputGradient: dAttended, tokens: tokens, heads: c.headCount,
                keyValueHeads: c.keyValueHeadCount, headDim: d, window: c.slidingWindow,
                queryGradient: dQ, keyGradient: dK, valueGradient: dV)
            RoPEBackward.applyInverse(dQ, tokens: tokens, heads: c.headCount, headDim: d, rotaryDim: c.rotaryDim,
                                      firstPosition: 0, inverseFrequencies: inverseFrequencies)
            RoPEBackward.applyInverse(dK, tokens: tokens, heads: c.keyValueHeadCount, headDim: d,
                                      rotaryDim: c.rotaryDim, firstPosition: 0, inverseFrequencies: inverseFrequencies)
            tape.input.withUnsafeBufferPointer { x in
                let x = x.baseAddress!
                Linear.backward(outputGradient: dQ, input: x, rows: tokens, weight: p.query, outputs: width,
                                inputs: hidden, inputGradient: dX, weightGradient: gradients.query)
                Linear.backward(outputGradient: dK, input: x, rows: tokens, weight: p.key, outputs: keyValueWidth,
                                inputs: hidden, inputGradient: dX, weightGradient: gradients.key)
                Linear.backward(outputGradient: dV, input: x, rows: tokens, weight: p.value, outputs: keyValueWidth,
                                inputs: hidden, inputGradient: dX, weightGradient: gradients.value)
            }
        }
    }
}
