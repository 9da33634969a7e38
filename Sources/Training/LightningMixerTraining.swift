import Kernels
import MiniMax
import Tensors

/// fp32 weights of one lightning attention mixer (DESIGN.md §1.3); the same shape holds their gradients.
public struct LightningMixerParameters: @unchecked Sendable {
    /// [3·H·d, D], per head [q | k | v] rows
    public var qkv: UnsafeMutablePointer<Float>
    /// [H·d, D]
    public var outputGate: UnsafeMutablePointer<Float>
    /// [H·d]
    public var norm: UnsafeMutablePointer<Float>
    /// [D, H·d]
    public var outputProjection: UnsafeMutablePointer<Float>

    public init(
        qkv: UnsafeMutablePointer<Float>, outputGate: UnsafeMutablePointer<Float>, norm: UnsafeMutablePointer<Float>,
        outputProjection: UnsafeMutablePointer<Float>
    ) {
        self.qkv = qkv
        self.outputGate = outputGate
        self.norm = norm
        self.outputProjection = outputProjection
    }
}

/// What the lightning mixer's backward needs from its forward.
public struct LightningMixerTape: Sendable {
    public let tokens: Int
    /// x: [T, D]
    let input: [Float]
    /// x · qkvᵀ before SiLU: [T, H, 3, d]
    let qkvPreActivation: [Float]
    /// SiLU of it, the attention input: [T, H, 3, d]
    let qkv: [Float]
    /// attention output before the norm: [T, H·d]
    let attended: [Float]
    /// sigmoid(x · gateᵀ): [T, H·d]
    let gate: [Float]
}

/// The lightning mixer over one sequence (positions 0 ..< T, empty state), forward with a tape and
/// backward, with the same kernels and order of operations as `LightningAttentionLayer`:
/// x → SiLU(x·qkvᵀ) → lightning attention → RMSNorm(H·d, eps 1e-6) → × sigmoid(x·gateᵀ) → out_proj.
public enum LightningMixerTraining {
    /// x: [T, D] → out: [T, D] (overwritten); returns the tape for `backward`.
    public static func forward(
        _ x: UnsafePointer<Float>, tokens: Int, configuration c: Configuration, layer: Int,
        parameters p: LightningMixerParameters, into out: UnsafeMutablePointer<Float>
    ) -> LightningMixerTape {
        precondition(tokens > 0, "LightningMixerTraining: empty sequence")
        let width = c.headCount * c.headDim, hidden = c.hiddenSize
        var qkvPre = [Float](repeating: 0, count: tokens * 3 * width)
        var qkv = qkvPre, attended = [Float](repeating: 0, count: tokens * width), gate = attended
        qkvPre.withUnsafeMutableBufferPointer { pre in
            Linear.forward(x, rows: tokens, weight: p.qkv, outputs: 3 * width, inputs: hidden, into: pre.baseAddress!)
        }
        qkv.withUnsafeMutableBufferPointer { a in
            a.baseAddress!.update(from: qkvPre, count: tokens * 3 * width)
            VectorMath.siluInPlace(a.baseAddress!, count: tokens * 3 * width)
        }
        // state: [H, d, d], empty; normed, gated: [T, H·d]
        ScratchMemory.withFloats(c.headCount * c.headDim * c.headDim + 2 * tokens * width) { state in
            let normed = state + c.headCount * c.headDim * c.headDim, gated = normed + tokens * width
            state.initialize(repeating: 0, count: c.headCount * c.headDim * c.headDim)
            attended.withUnsafeMutableBufferPointer { o in
                LightningAttention.forward(
                    qkv: qkv, tokens: tokens, heads: c.headCount, headDim: c.headDim,
                    slopes: c.lightningSlopes(layer: layer), blockSize: c.blockSize, state: state, out: o.baseAddress!)
            }
            RMSNorm.apply(attended, rows: tokens, width: width, weight: p.norm, eps: c.lightningNormEpsilon, into: normed)
            gate.withUnsafeMutableBufferPointer { g in
                Linear.forward(x, rows: tokens, weight: p.outputGate, outputs: width, inputs: hidden, into: g.baseAddress!)
                VectorMath.sigmoidInPlace(g.baseAddress!, count: tokens * width)
            }
            for i in 0..<(tokens * width) { gated[i] = normed[i] * gate[i] }
            Linear.forward(gated, rows: tokens, weight: p.outputProjection, outputs: hidden, inputs: width, into: out)
        }
        return LightningMixerTape(
            tokens: tokens, input: Array(UnsafeBufferPointer(start: x, count: tokens * hidden)),
            qkvPreActivation: qkvPre, qkv: qkv, attended: attended, gate: gate)
    }

    /// dOut: [T, D]. ACCUMULATES every weight gradient into `gradients` and dX into
    /// `inputGradient`: [T, D].
    public static func backward(
        tape: LightningMixerTape, outputGradient dOut: UnsafePointer<Float>, configuration c: Configuration,
        layer: Int, parameters p: LightningMixerParameters, gradients: LightningMixerParameters,
        inputGradient dX: UnsafeMutablePointer<Float>
    ) {
        let tokens = tape.tokens, width = c.headCount * c.headDim, hidden = c.hiddenSize
        let eps = c.lightningNormEpsilon
        // normed, gated, dGated, dNormed, dAttended: [T, H·d]; dQKV: [T, H, 3, d]
        ScratchMemory.withFloats(8 * tokens * width) { normed in
            let gated = normed + tokens * width, dGated = gated + tokens * width, dNormed = dGated + tokens * width
            let dAttended = dNormed + tokens * width, dQKV = dAttended + tokens * width
            RMSNorm.apply(tape.attended, rows: tokens, width: width, weight: p.norm, eps: eps, into: normed)
            for i in 0..<(tokens * width) { gated[i] = normed[i] * tape.gate[i] }
            // out = gated · out_projᵀ
            dGated.initialize(repeating: 0, count: tokens * width)
            Linear.backward(
                outputGradient: dOut, input: gated, rows: tokens, weight: p.outputProjection, outputs: hidden,
                inputs: width, inputGradient: dGated, weightGradient: gradients.outputProjection)
            // gated = normed ⊙ σ(z_gate): dNormed = dGated ⊙ σ; dz_gate (into dGated) = dGated ⊙ normed ⊙ σ'
            for i in 0..<(tokens * width) {
                let s = tape.gate[i]
                dNormed[i] = dGated[i] * s
                dGated[i] *= normed[i] * ElementwiseBackward.sigmoidDerivative(sigmoid: s)
            }
            tape.input.withUnsafeBufferPointer { x in
                Linear.backward(
                    outputGradient: dGated, input: x.baseAddress!, rows: tokens, weight: p.outputGate, outputs: width,
                    inputs: hidden, inputGradient: dX, weightGradient: gradients.outputGate)
            }
            dAttended.initialize(repeating: 0, count: tokens * width)
            RMSNormBackward.apply(
                input: tape.attended, rows: tokens, width: width, weight: p.norm, eps: eps, outputGradient: dNormed,
                inputGradient: dAttended, weightGradient: gradients.norm)
            dQKV.initialize(repeating: 0, count: tokens * 3 * width)
            LightningAttentionBackward.backward(
                qkv: tape.qkv, tokens: tokens, heads: c.headCount, headDim: c.headDim,
                slopes: c.lightningSlopes(layer: layer), blockSize: c.blockSize, outputGradient: dAttended,
                qkvGradient: dQKV)
            ElementwiseBackward.silu(
                preActivation: tape.qkvPreActivation, outputGradient: dQKV, into: dQKV, count: tokens * 3 * width)
            tape.input.withUnsafeBufferPointer { x in
                Linear.backward(
                    outputGradient: dQKV, input: x.baseAddress!, rows: tokens, weight: p.qkv, outputs: 3 * width,
                    inputs: hidden, inputGradient: dX, weightGradient: gradients.qkv)
            }
        }
    }
}
