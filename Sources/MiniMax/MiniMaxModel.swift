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
    /// When set, forward passes add their time per part to it.
    public var profile: ForwardProfile?

    public init(configuration: Configuration, weights: ModelWeights) {
        self.configuration = configuration
        self.weights = weights
        let c = configuration
        let inverseFrequencies = RoPE.inverseFrequencies(theta: c.ropeTheta, rotaryDim: c.rotaryDim)
        layers = weights.layers.enumerated().map { l, w in
            let mixer: DecoderLayer.Mixer
            switch w.mixer {
            case .lightning(let lw):
                mixer = .lightning(LightningAttentionLayer(
                    weights: lw, heads: c.headCount, headDim: c.headDim, blockSize: c.blockSize,
                    normEpsilon: c.lightningNormEpsilon, slopes: c.lightningSlopes(layer: l)))
            case .softmax(let sw):
                mixer = .softmax(SoftmaxAttentionLayer(
                    weights: sw, heads: c.headCount, keyValueHeads: c.keyValueHeadCount, headDim: c.headDim,
                    rotaryDim: c.rotaryDim, inverseFrequencies: inverseFrequencies, slidingWindow: c.slidingWindow))
            }
            return DecoderLayer(
                inputNorm: w.inputNorm, postAttentionNorm: w.postAttentionNorm, mixer: mixer,
                moe: MixtureOfExperts(weights: w.moe, expertsPerToken: c.expertsPerToken),
                attentionResidual: c.residual(for: c.layerKinds[l]), mlpResidual: c.mlpResidual,
                normEpsilon: c.rmsNormEpsilon, residualIsNormalized: c.residualIsNormalized)
        }
    }

    /// Loads `config.json` and the safetensors weights of a checkpoint directory.
    public static func load(directory: URL) throws -> MiniMaxModel {
        let configuration = try Configuration.load(directory: directory)
        let checkpoint = try Checkpoint(directory: directory)
        let weights = try WeightLoader(configuration: configuration, checkpoint: checkpoint).load()
        return MiniMaxModel(configuration: configuration, weights: weights)
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
        guard cache.layers.count == layers.count else { throw ModelError.cacheMismatch }
        // h: [T, D]
        var h = try profile.measure(.embedding) { try embed(ids, firstPosition: cache.position) }
        observeHiddenState?(0, h)
        for (l, layer) in layers.enumerated() {
            h = try layer.forward(h, cache: &cache.layers[l], profile: profile)
            observeHiddenState?(l + 1, h)
        }
        cache.position += ids.count
        return profile.measure(.head) {
            let last = lastTokenOnly ? h.rows(h.rows - 1..<h.rows) : h
            let normalized = RMSNorm.apply(last, weight: weights.finalNorm, eps: configuration.rmsNormEpsilon)
            // logits: [T, V]
            return MatMul.multiply(normalized, weights.lmHead)
        }
    }

    /// ids: [T] → [T, D]
    func embed(_ ids: [Int], firstPosition: Int) throws -> Matrix {
        let d = configuration.hiddenSize
        var h = Matrix(zeros: ids.count, d)
        for (t, id) in ids.enumerated() {
            guard id >= 0, id < configuration.vocabularySize else {
                throw ModelError.tokenOutOfRange(id: id, position: firstPosition + t, vocabularySize: configuration.vocabularySize)
            }
            h.data.withUnsafeMutableBufferPointer {
                WidenRow.widen(weights.embedding, start: id * d, count: d, into: $0.baseAddress! + t * d)
            }
        }
        return h
    }
}
