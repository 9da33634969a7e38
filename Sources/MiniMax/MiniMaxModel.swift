import Foundation
import Kernels
import SafeTensors
import Tensors

/// A MiniMax-M1 family model ready to run:
///   ids → embed → decoder layers (lightning or softmax mixer + MoE) → final norm → LM head (fp32).
public final class MiniMaxModel: @unchecked Sendable {
    public let configuration: Configuration
    public let weights: ModelWeights
    let layers: [DecoderLayer]
    /// How the decoder layers' products treat activations when the weights are bf16 (the LM head
    /// always computes in fp32).
    public let precision: MatMulPrecision
    /// When set, forward passes add their time per part to it.
    public var profile: ForwardProfile?

    public init(configuration: Configuration, weights: ModelWeights, precision: MatMulPrecision = .exact) {
        self.configuration = configuration
        self.weights = weights
        self.precision = precision
        let c = configuration
        let inverseFrequencies = RoPE.inverseFrequencies(theta: c.ropeTheta, rotaryDim: c.rotaryDim)
        layers = weights.layers.enumerated().map { l, w in
            let mixer: DecoderLayer.Mixer
            switch w.mixer {
            case .lightning(let lw):
                mixer = .lightning(LightningAttentionLayer(
                    weights: lw, heads: c.headCount, headDim: c.headDim, blockSize: c.blockSize,
                    normEpsilon: c.lightningNormEpsilon, slopes: c.lightningSlopes(layer: l), precision: precision))
            case .softmax(let sw):
                mixer = .softmax(SoftmaxAttentionLayer(
                    weights: sw, heads: c.headCount, keyValueHeads: c.keyValueHeadCount, headDim: c.headDim,
                    rotaryDim: c.rotaryDim, inverseFrequencies: inverseFrequencies, slidingWindow: c.slidingWindow,
                    precision: precision))
            }
            return DecoderLayer(
                inputNorm: w.inputNorm, postAttentionNorm: w.postAttentionNorm, mixer: mixer,
                moe: MixtureOfExperts(weights: w.moe, expertsPerToken: c.expertsPerToken, precision: precision),
                attentionResidual: c.residual(for: c.layerKinds[l]), mlpResidual: c.mlpResidual,
                normEpsilon: c.rmsNormEpsilon, residualIsNormalized: c.residualIsNormalized)
        }
    }

    /// Loads `config.json` and the safetensors weights of a checkpoint directory.
    public static func load(directory: URL, precision: MatMulPrecision = .exact) throws -> MiniMaxModel {
        let configuration = try Configuration.load(directory: directory)
        let checkpoint = try Checkpoint(directory: directory)
        let weights = try WeightLoader(configuration: configuration, checkpoint: checkpoint).load()
        return MiniMaxModel(configuration: configuration, weights: weights, precision: precision)
    }

    /// A fresh cache for one sequence.
    public func makeCache() -> ModelCache { ModelCache(configuration: configuration) }

    /// Runs `ids` after whatever `cache` already holds and returns their logits [T, V]
    /// (only the last token's, [1, V], with `lastTokenOnly` — all a generator needs).
    /// `observeHiddenState(l, h)` sees each layer's output (l = 0 is the embedding, l + 1 layer l).
    public func forward(
        _ ids: [Int], cache: inout ModelCache, lastTokenOnly: Bool = false,
        observeHiddenState: ((Int, Matrix) -> Void)? = nil
    ) throws -> Matrix {
        guard !ids.isEmpty else { throw ModelError.emptyInput }
        var logits = Matrix(zeros: lastTokenOnly ? 1 : ids.count, configuration.vocabularySize)
        try ids.withUnsafeBufferPointer { ids in
            try logits.data.withUnsafeMutableBufferPointer { out in
                try forward(ids, cache: &cache, lastTokenOnly: lastTokenOnly, logits: out.baseAddress!,
                            observeHiddenState: observeHiddenState)
            }
        }
        return logits
    }

    /// Decodes one token: writes its logits [V] to `logits`. After the first call at a given cache
    /// layout this allocates nothing (buffers come from the thread's `ScratchMemory`).
    public func decode(_ token: Int, cache: inout ModelCache, logits: UnsafeMutablePointer<Float>) throws {
        try withUnsafePointer(to: token) { id in
            try forward(UnsafeBufferPointer(start: id, count: 1), cache: &cache, lastTokenOnly: true, logits: logits)
        }
    }

    /// The forward pass over caller-provided memory: ids [T] → logits [T, V] (or [1, V] with
    /// `lastTokenOnly`) written to `logits`. The hidden state lives in scratch memory.
    public func forward(
        _ ids: UnsafeBufferPointer<Int>, cache: inout ModelCache, lastTokenOnly: Bool,
        logits: UnsafeMutablePointer<Float>, observeHiddenState: ((Int, Matrix) -> Void)? = nil
    ) throws {
        guard !ids.isEmpty else { throw ModelError.emptyInput }
        guard cache.layers.count == layers.count else { throw ModelError.cacheMismatch }
        let tokens = ids.count, width = configuration.hiddenSize
        func observe(_ l: Int, _ h: UnsafeMutablePointer<Float>) {
            observeHiddenState?(l, Matrix(rows: tokens, cols: width, data: Array(UnsafeBufferPointer(start: h, count: tokens * width))))
        }
        // h: [T, D]
        try ScratchMemory.withFloats(tokens * width) { h in
            try profile.measure(.embedding) { try embed(ids, firstPosition: cache.position, into: h) }
            observe(0, h)
            for l in 0..<layers.count {
                try layers[l].forward(h, rows: tokens, cache: &cache.layers[l], profile: profile)
                observe(l + 1, h)
            }
            cache.position += tokens
            profile.measure(.head) {
                let first = lastTokenOnly ? tokens - 1 : 0, rows = tokens - first
                // normalized: [rows, D] → logits: [rows, V]
                ScratchMemory.withFloats(rows * width) { normalized in
                    RMSNorm.apply(h + first * width, rows: rows, width: width, weight: weights.finalNorm,
                                  eps: configuration.rmsNormEpsilon, into: normalized)
                    MatMul.multiply(normalized, rows: rows, weight: weights.lmHead, into: logits)
                }
            }
        }
    }

    /// ids: [T] → h: [T, D]
    func embed(_ ids: UnsafeBufferPointer<Int>, firstPosition: Int, into h: UnsafeMutablePointer<Float>) throws {
        let d = configuration.hiddenSize
        for (t, id) in ids.enumerated() {
            guard id >= 0, id < configuration.vocabularySize else {
                throw ModelError.tokenOutOfRange(id: id, position: firstPosition + t, vocabularySize: configuration.vocabularySize)
            }
            WidenRow.widen(weights.embedding, start: id * d, count: d, into: h + t * d)
        }
    }
}
