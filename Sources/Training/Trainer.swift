import Foundation
import MiniMax
import Tensors

/// The settings of a training run (saved in every checkpoint; `--resume` keeps them).
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var steps: Int
    /// Tokens per optimizer update; gradients accumulate over `batchTokens / sequenceLength` windows.
    public var batchTokens: Int
    public var sequenceLength: Int
    public var schedule: LearningRateSchedule
    public var optimizer: AdamWSettings
    /// Orders the training windows (a new permutation each epoch).
    public var seed: UInt64
    /// Save a checkpoint every this many updates (0: only at the end).
    public var checkpointEvery: Int
    /// Evaluate on the evaluation data every this many updates (0: only at the end).
    public var evaluateEvery: Int
    /// The load-balancing loss's coefficient (transformers' `router_aux_loss_coef`; 0: off).
    public var auxiliaryLossCoefficient: Float
    /// Checkpoints kept on disk (the newest; 0: all).
    public var keptCheckpoints: Int = 3

    public init(
        steps: Int, batchTokens: Int, sequenceLength: Int, schedule: LearningRateSchedule,
        optimizer: AdamWSettings = AdamWSettings(), seed: UInt64 = 0, checkpointEvery: Int = 0, evaluateEvery: Int = 0,
        auxiliaryLossCoefficient: Float = 0
    ) {
        self.steps = steps
        self.batchTokens = batchTokens
        self.sequenceLength = sequenceLength
        self.schedule = schedule
        self.optimizer = optimizer
        self.seed = seed
        self.checkpointEvery = checkpointEvery
        self.evaluateEvery = evaluateEvery
        self.auxiliaryLossCoefficient = auxiliaryLossCoefficient
    }

    public var windowsPerStep: Int { max(1, batchTokens / max(sequenceLength, 1)) }
}

/// One line of `metrics.jsonl`.
public struct StepMetrics: Codable, Sendable, Equatable {
    public var step: Int
    /// Mean cross-entropy per predicted token (nats).
    public var loss: Double
    public var eval_loss: Double?
    public var learning_rate: Double
    /// Before clipping.
    public var gradient_norm: Double
    public var tokens: Int
    public var tokens_per_second: Double
    public var aux_loss: Double
    /// Rows routed to the busiest expert over the mean, over all layers (1 = perfectly balanced).
    public var router_load_max_over_mean: Double
}

/// Next-token training: windows of the packed corpus → gradients (accumulated over the windows of a
/// step) → AdamW; metrics per step, atomic checkpoints, exact resume.
public final class Trainer {
    public let parameters: ParameterStore
    public let optimizer: AdamW
    public let corpus: TrainingCorpus
    public let evaluation: TrainingCorpus?
    public let options: TrainingOptions
    public let output: URL
    public let modelFiles: ModelFiles
    public private(set) var state: TrainerState
    private let gradients: ParameterStore
    private var permutation: (epoch: Int, order: [Int]) = (-1, [])

    public init(
        parameters: ParameterStore, optimizer: AdamW, corpus: TrainingCorpus, evaluation: TrainingCorpus?,
        options: TrainingOptions, output: URL, modelFiles: ModelFiles, state: TrainerState? = nil
    ) throws {
        let vocabularySize = parameters.tree.configuration.vocabularySize
        for c in [corpus] + (evaluation.map { [$0] } ?? []) {
            if let bad = c.tokens.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw TrainingDataError.tokenOutOfVocabulary(path: c.path, token: bad, vocabularySize: vocabularySize)
            }
        }
        guard corpus.windowCount(length: options.sequenceLength) > 0 else {
            throw TrainingDataError.tooShort(path: corpus.path, tokens: corpus.tokens.count, needed: options.sequenceLength + 1)
        }
        self.parameters = parameters
        self.optimizer = optimizer
        self.corpus = corpus
        self.evaluation = evaluation
        self.options = options
        self.output = output
        self.modelFiles = modelFiles
        self.state = state ?? TrainerState(step: 0, windowsConsumed: 0, dataFingerprint: corpus.fingerprint, options: options)
        gradients = ParameterStore(tree: parameters.tree)
    }

    public var checkpoints: CheckpointDirectory { CheckpointDirectory(output: output) }
    public var metricsURL: URL { output.appendingPathComponent("metrics.jsonl") }

    /// Runs the remaining steps (or stops after step `last`, as if the process had ended there);
    /// `report` sees each step's metrics after they are written.
    public func run(stoppingAfter last: Int? = nil, report: (StepMetrics) -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try MetricsLog.truncate(metricsURL, keepingThrough: state.step)
        while state.step < min(options.steps, last ?? options.steps) {
            let stepStart = Date()
            var metrics = trainStep()
            let elapsed = Date().timeIntervalSince(stepStart)
            metrics.tokens_per_second = Double(metrics.tokens) / max(elapsed, 1e-9)
            let final = state.step == options.steps
            if evaluation != nil, final || (options.evaluateEvery > 0 && state.step % options.evaluateEvery == 0) {
                metrics.eval_loss = evaluationLoss()
            }
            try MetricsLog.append(metrics, to: metricsURL)
            if final || (options.checkpointEvery > 0 && state.step % options.checkpointEvery == 0) {
                try checkpoints.write(step: state.step, parameters: parameters, optimizer: optimizer, state: state, modelFiles: modelFiles)
                checkpoints.removeOlder(keeping: options.keptCheckpoints)
            }
            report(metrics)
        }
        if state.step == options.steps { try modelFiles.write(parameters, to: output) }
    }

    /// One optimizer update over `windowsPerStep` windows.
    func trainStep() -> StepMetrics {
        let length = options.sequenceLength, count = options.windowsPerStep
        let windows = (0..<count).map { corpus.window(windowIndex(state.windowsConsumed + $0), length: length) }
        let predicted = windows.reduce(0) { $0 + $1.mask.filter { $0 }.count }
        gradients.zero()
        var crossEntropy = 0.0, auxiliary = 0.0
        var load = [Int](repeating: 0, count: parameters.tree.configuration.expertCount)
        for window in windows {
            let result = LanguageModelGradient.run(
                parameters: parameters, gradients: gradients, inputs: window.inputs, targets: window.targets,
                mask: window.mask, lossScale: 1 / Float(max(predicted, 1)),
                auxiliaryScale: options.auxiliaryLossCoefficient / Float(count))
            crossEntropy += result.crossEntropySum
            auxiliary += result.auxiliary / Double(count)
            for e in load.indices { load[e] += result.expertLoad[e] }
        }
        let rate = options.schedule.rate(at: state.step)
        let norm = optimizer.update(parameters, gradients: gradients, rate: rate)
        state.step += 1
        state.windowsConsumed += count
        let meanLoad = Double(load.reduce(0, +)) / Double(max(load.count, 1))
        return StepMetrics(
            step: state.step, loss: crossEntropy / Double(max(predicted, 1)), eval_loss: nil, learning_rate: Double(rate),
            gradient_norm: Double(norm), tokens: count * length, tokens_per_second: 0, aux_loss: auxiliary,
            router_load_max_over_mean: meanLoad > 0 ? Double(load.max() ?? 0) / meanLoad : 1)
    }

    /// Mean cross-entropy per predicted token over (up to 64) evaluation windows, no gradients.
    public func evaluationLoss() -> Double? {
        guard let evaluation else { return nil }
        let length = options.sequenceLength
        let count = min(evaluation.windowCount(length: length), 64)
        guard count > 0 else { return nil }
        var total = 0.0, predicted = 0
        for i in 0..<count {
            let w = evaluation.window(i, length: length)
            let result = LanguageModelGradient.run(parameters: parameters, gradients: nil, inputs: w.inputs, targets: w.targets, mask: w.mask)
            total += result.crossEntropySum
            predicted += result.predictedTokens
        }
        return total / Double(max(predicted, 1))
    }

    /// The corpus window used at position `w` of the run: epochs in a seeded random order.
    func windowIndex(_ w: Int) -> Int {
        let n = corpus.windowCount(length: options.sequenceLength), epoch = w / n
        if permutation.epoch != epoch {
            var order = Array(0..<n)
            var random = SplitMix64(seed: options.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
            order.shuffle(using: &random)
            permutation = (epoch, order)
        }
        return permutation.order[w % n]
    }
}

/// `metrics.jsonl`: one JSON object per step, appended; a resumed run first drops the lines of
/// steps after its checkpoint (and any half-written last line).
public enum MetricsLog {
    private struct StepOnly: Decodable { let step: Int }

    public static func append<Line: Encodable>(_ metrics: Line, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(metrics)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw FileWriteError(path: url.path, reason: "cannot create the file")
            }
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }

    public static func truncate(_ url: URL, keepingThrough step: Int) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        var kept = Data()
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let metrics = try? JSONDecoder().decode(StepOnly.self, from: Data(line)), metrics.step <= step else { continue }
            kept.append(contentsOf: line)
            kept.append(UInt8(ascii: "\n"))
        }
        if kept != data { try AtomicFile.write(kept, to: url) }
    }
}
