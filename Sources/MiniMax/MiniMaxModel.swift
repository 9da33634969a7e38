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
    /// `lastTokenOnly`) written to `logits`: a batch of one sequence. The hidden state lives in
    /// scratch memory.
    public func forward(
        _ ids: UnsafeBufferPointer<Int>, cache: inout ModelCache, lastTokenOnly: Bool,
        logits: UnsafeMutablePointer<Float>, observeHiddenState: ((Int, Matrix) -> Void)? = nil
    ) throws {
        guard !ids.isEmpty else { throw ModelError.emptyInput }
        let tokens = ids.count, headCount = lastTokenOnly ? 1 : tokens
        // segment: the one sequence; head: [rows of the LM head | their logits rows]
        try ScratchMemory.withBuffer(of: RowSegment.self, count: 1) { segment in
            try ScratchMemory.withBuffer(of: Int.self, count: 2 * headCount) { head in
                segment[0] = RowSegment(cache: 0, firstRow: 0, count: tokens)
                for i in 0..<headCount {
                    head[i] = tokens - headCount + i
                    head[headCount + i] = i
                }
                let layout = RowLayout(
                    rows: tokens, singleRows: tokens == 1 ? 1 : 0, segments: UnsafeBufferPointer(start: segment, count: 1),
                    headRows: UnsafeBufferPointer(start: head, count: headCount), headSingleRows: headCount == 1 ? 1 : 0,
                    headDestinations: UnsafeBufferPointer(start: head + headCount, count: headCount))
                try withUnsafeMutablePointer(to: &cache) { cache in
                    try run(layout, tokens: ids.baseAddress!, caches: cache, logits: logits, observeHiddenState: observeHiddenState)
                }
            }
        }
    }

    /// Runs the rows of many sequences in one pass (see `ModelBatch`) and returns the logits of the
    /// rows that want them, in batch order: [W, V].
    public func forward(_ batch: ModelBatch, caches: inout [ModelCache]) throws -> Matrix {
        var logits = Matrix(zeros: batch.logitRowCount, configuration.vocabularySize)
        try logits.data.withUnsafeMutableBufferPointer { out in
            try forward(batch, caches: &caches, logits: out.baseAddress!)
        }
        return logits
    }

    /// The same, writing the logits [W, V] to caller memory.
    public func forward(_ batch: ModelBatch, caches: inout [ModelCache], logits: UnsafeMutablePointer<Float>) throws {
        guard !batch.isEmpty else { throw ModelError.emptyInput }
        let plan = try BatchPlan(batch, caches: caches)
        try plan.segments.withUnsafeBufferPointer { segments in
            try plan.headRows.withUnsafeBufferPointer { headRows in
                try plan.headDestinations.withUnsafeBufferPointer { headDestinations in
                    let layout = RowLayout(
                        rows: plan.tokens.count, singleRows: plan.singleRows, segments: segments, headRows: headRows,
                        headSingleRows: plan.headSingleRows, headDestinations: headDestinations)
                    try plan.tokens.withUnsafeBufferPointer { tokens in
                        try caches.withUnsafeMutableBufferPointer { caches in
                            try run(layout, tokens: tokens.baseAddress!, caches: caches.baseAddress!, logits: logits)
                        }
                    }
                }
            }
        }
    }

    /// The forward pass proper: tokens [R] in the layout's row order → logits [W, V] for the
    /// layout's head rows; advances every segment's cache.
    func run(
        _ layout: RowLayout, tokens: UnsafePointer<Int>, caches: UnsafeMutablePointer<ModelCache>,
        logits: UnsafeMutablePointer<Float>, observeHiddenState: ((Int, Matrix) -> Void)? = nil
    ) throws {
        let rows = layout.rows, width = configuration.hiddenSize
        // Everything that can fail is checked before any cache changes.
        for segment in layout.segments {
            guard matches(caches[segment.cache]) else { throw ModelError.cacheMismatch }
            for i in 0..<segment.count {
                let id = tokens[segment.firstRow + i]
                guard id >= 0, id < configuration.vocabularySize else {
                    throw ModelError.tokenOutOfRange(
                        id: id, position: caches[segment.cache].position + i, vocabularySize: configuration.vocabularySize)
                }
            }
        }
        func observe(_ l: Int, _ h: UnsafeMutablePointer<Float>) {
            observeHiddenState?(l, Matrix(rows: rows, cols: width, data: Array(UnsafeBufferPointer(start: h, count: rows * width))))
        }
        // h: [R, D]
        try ScratchMemory.withFloats(rows * width) { h in
            profile.measure(.embedding) {
                for r in 0..<rows { WidenRow.widen(weights.embedding, start: tokens[r] * width, count: width, into: h + r * width) }
            }
            observe(0, h)
            for l in 0..<layers.count {
                try layers[l].forward(h, layout: layout, caches: caches, layer: l, profile: profile)
                observe(l + 1, h)
            }
            for segment in layout.segments { caches[segment.cache].position += segment.count }
            profile.measure(.head) { head(h, layout: layout, logits: logits) }
        }
    }

    /// logits[headDestinations[i]] = lm_head(RMSNorm_final(h[headRows[i]])), in fp32.
    func head(_ h: UnsafePointer<Float>, layout: RowLayout, logits: UnsafeMutablePointer<Float>) {
        let width = configuration.hiddenSize, vocabulary = configuration.vocabularySize
        let count = layout.headRows.count
        guard count > 0 else { return }
        let inPlace = layout.headDestinations.enumerated().allSatisfy { $0.offset == $0.element }
        // normalized: [W, D]; computed: [W, V] unless the rows are already in output order
        ScratchMemory.withFloats(count * width + (inPlace ? 0 : count * vocabulary)) { normalized in
            for (i, r) in layout.headRows.enumerated() {
                RMSNorm.apply(h + r * width, rows: 1, width: width, weight: weights.finalNorm,
                              eps: configuration.rmsNormEpsilon, into: normalized + i * width)
            }
            let computed = inPlace ? logits : normalized + count * width
            // A bf16 head stays exact under every precision (the last product before the logits,
            // bandwidth-bound in decode); a quantized one (`--scope all`) follows `precision`.
            MatMul.multiply(normalized, rows: count, singleRows: layout.headSingleRows, weight: weights.lmHead, into: computed,
                            precision: weights.lmHead.dtype.isQuantized ? precision : .exact)
            if !inPlace {
                for (i, destination) in layout.headDestinations.enumerated() {
                    (logits + destination * vocabulary).update(from: computed + i * vocabulary, count: vocabulary)
                }
            }
        }
    }

    /// Whether `cache` was made for this model's layer plan.
    func matches(_ cache: ModelCache) -> Bool {
        guard cache.layers.count == layers.count else { return false }
        for l in 0..<layers.count {
            switch layers[l].mixer {
            case .lightning: guard case .linear = cache.layers[l] else { return false }
            case .softmax: guard case .keyValue = cache.layers[l] else { return false }
            }
        }
        return true
    }
}
