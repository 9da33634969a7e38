import ArgumentParser
import Foundation
import Kernels
import Generation
import MiniMax
import SafeTensors
import Training

/// `minimax train`: next-token training (pretraining on text, SFT on chats) with AdamW.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on a JSONL file of {\"text\": …} or {\"messages\": […]} lines (loss on assistant turns only).")

    @Option(name: .long, help: "Model directory to start from (ignored with --resume when OUT has checkpoints).")
    var model: String

    @Option(name: .long, help: "Training data, one JSON object per line.")
    var data: String

    @Option(name: .long, help: "Output directory: metrics.jsonl, checkpoints/, and the final model.")
    var out: String

    @Option(name: .long, parsing: .unconditional, help: "Optimizer updates in all.")
    var steps: Int = 100

    @Option(name: .long, parsing: .unconditional, help: "Sequence length of a training window, in tokens.")
    var seqLen: Int = 256

    @Option(name: .long, parsing: .unconditional, help: "Tokens per update (default: 4 windows); gradients accumulate over batch-tokens / seq-len windows.")
    var batchTokens: Int?

    @Option(name: .long, parsing: .unconditional, help: "Peak learning rate.")
    var lr: Float = 1e-3

    @Option(name: .long, help: "Learning-rate shape after warm-up: \(LearningRateSchedule.Shape.allCases.map(\.rawValue).joined(separator: ", ")).")
    var schedule: LearningRateSchedule.Shape = .cosine

    @Option(name: .long, parsing: .unconditional, help: "Warm-up updates (default: a tenth of the steps, at most 100).")
    var warmup: Int?

    @Option(name: .long, parsing: .unconditional, help: "Where decaying schedules end, as a fraction of the peak.")
    var minLrRatio: Float = 0.1

    @Option(name: .long, parsing: .unconditional, help: "AdamW decoupled weight decay (not on norm weights).")
    var weightDecay: Float = 0.1

    @Option(name: .long, parsing: .unconditional, help: "Clip the global gradient norm to this (0: no clipping).")
    var clip: Float = 1.0

    @Option(name: .long, parsing: .unconditional, help: "Load-balancing loss coefficient (default: the config's router_aux_loss_coef when output_router_logits is true, else 0).")
    var auxLossCoef: Float?

    @Option(name: .long, help: "Evaluation data (same format); its loss is logged as eval_loss.")
    var evalData: String?

    @Option(name: .long, parsing: .unconditional, help: "Evaluate every N updates (default: only at the end).")
    var evalEvery: Int = 0

    @Option(name: .long, parsing: .unconditional, help: "Write a checkpoint every N updates (default: only at the end).")
    var checkpointEvery: Int = 0

    @Option(name: .long, parsing: .unconditional, help: "Checkpoints kept on disk, the newest (0: all).")
    var keepCheckpoints: Int = 3

    @Option(name: .long, parsing: .unconditional, help: "Seed of the data order.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "A bad data line: skip it (reported with its line number) or fail.")
    var onBadLine: BadLinePolicy = .skip

    @Option(name: .long, parsing: .unconditional, help: "Longest accepted data line, in tokens.")
    var maxSampleTokens: Int = 1 << 20

    @Flag(name: .long, help: "Continue from the latest complete checkpoint in --out.")
    var resume = false

    @Option(name: .long, parsing: .unconditional, help: "Worker threads for the kernels (default: all cores).")
    var threads: Int?

    func validate() throws {
        try checkModelDirectory(model)
        for (name, value) in [("--steps", steps), ("--seq-len", seqLen), ("--max-sample-tokens", maxSampleTokens)] where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        guard seqLen <= 1 << 20 else { throw ValidationError("--seq-len must be at most \(1 << 20), got \(seqLen)") }
        if let batchTokens, batchTokens < seqLen { throw ValidationError("--batch-tokens (\(batchTokens)) must be at least --seq-len (\(seqLen))") }
        if let batchTokens, batchTokens / seqLen > 1 << 16 {
            throw ValidationError("--batch-tokens / --seq-len must be at most \(1 << 16) windows per update, got \(batchTokens / seqLen)")
        }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must not be negative, got \(warmup)") }
        for (name, value) in [("--eval-every", evalEvery), ("--checkpoint-every", checkpointEvery), ("--keep-checkpoints", keepCheckpoints)] where value < 0 {
            throw ValidationError("\(name) must not be negative, got \(value)")
        }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        guard minLrRatio.isFinite, (0...1).contains(minLrRatio) else { throw ValidationError("--min-lr-ratio must be in [0, 1], got \(minLrRatio)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw ValidationError("--weight-decay must be ≥ 0, got \(weightDecay)") }
        guard clip.isFinite, clip >= 0 else { throw ValidationError("--clip must be ≥ 0, got \(clip)") }
        if let auxLossCoef, !(auxLossCoef.isFinite && auxLossCoef >= 0) { throw ValidationError("--aux-loss-coef must be ≥ 0, got \(auxLossCoef)") }
        try checkThreadCount(threads)
    }

    func run() throws {
        if let threads { Parallel.threadCount = threads }
        let output = URL(fileURLWithPath: out)
        let checkpoints = CheckpointDirectory(output: output)
        checkpoints.removeIncomplete()
        let resumeStep = resume ? checkpoints.steps().last : nil
        if resume && resumeStep == nil { printError("no checkpoint in \(checkpoints.root.path): starting from --model") }
        let modelDirectory = URL(fileURLWithPath: model)
        let configuration = try Configuration.load(directory: modelDirectory)
        let tokenizer = try ModelBundle.loadTokenizer(directory: modelDirectory)
        let reader = TrainingExampleReader(
            tokenizer: tokenizer, endOfText: configuration.eosTokenIDs.first ?? ByteTokenizerFiles.endOfSentenceID,
            maximumTokens: maxSampleTokens)
        let corpus = try TrainingCorpus.read(path: data, reader: reader, policy: onBadLine) { printError("skipped \($0)") }
        let evaluation = try evalData.map { try TrainingCorpus.read(path: $0, reader: reader, policy: onBadLine) { printError("skipped \($0)") } }
        var options = TrainingOptions(
            steps: steps, batchTokens: batchTokens ?? 4 * seqLen, sequenceLength: seqLen,
            schedule: LearningRateSchedule(
                peak: lr, warmupSteps: warmup ?? min(100, steps / 10), totalSteps: steps, shape: schedule,
                minimumRatio: minLrRatio),
            seed: seed, checkpointEvery: checkpointEvery, evaluateEvery: evalEvery,
            auxiliaryLossCoefficient: auxLossCoef ?? Self.configuredAuxiliaryCoefficient(modelDirectory))
        options.optimizer.weightDecay = weightDecay
        options.keptCheckpoints = keepCheckpoints
        options.optimizer.maxGradientNorm = clip > 0 ? clip : nil
        let modelFiles = ModelFiles(
            configuration: configuration, source: modelDirectory,
            configurationFile: modelDirectory.appendingPathComponent("config.json"))
        let trainer: Trainer
        if let resumeStep {
            let loaded = try checkpoints.load(step: resumeStep, configuration: configuration, optimizer: options.optimizer)
            guard loaded.state.dataFingerprint == corpus.fingerprint else {
                throw CheckpointError.incompatible(path: checkpoints.url(step: resumeStep).path, reason: "--data \(data) is not the data this run was trained on")
            }
            // The run keeps its own settings; only the step count may grow.
            var saved = loaded.state.options
            saved.steps = max(steps, saved.steps)
            saved.schedule.totalSteps = loaded.state.options.schedule.totalSteps
            options = saved
            var state = loaded.state
            state.options = options
            trainer = try Trainer(
                parameters: loaded.parameters, optimizer: loaded.optimizer, corpus: corpus, evaluation: evaluation,
                options: options, output: output, modelFiles: modelFiles, state: state)
            printError("resuming at step \(resumeStep) from \(checkpoints.url(step: resumeStep).path)")
        } else {
            let parameters = try ParameterStore.load(configuration: configuration, checkpoint: try Checkpoint(directory: modelDirectory))
            trainer = try Trainer(
                parameters: parameters, optimizer: AdamW(tree: parameters.tree, settings: options.optimizer), corpus: corpus,
                evaluation: evaluation, options: options, output: output, modelFiles: modelFiles)
        }
        printError("training \(InspectCommand.format(trainer.parameters.count)) parameters on \(corpus.exampleCount) examples (\(corpus.tokens.count) tokens, \(corpus.windowCount(length: options.sequenceLength)) windows of \(options.sequenceLength)); \(options.windowsPerStep) windows per update")
        let progress = ProgressLine(total: options.steps, start: trainer.state.step)
        try trainer.run { metrics in progress.show(metrics) }
        progress.finish()
        writeOutput("wrote \(out): final model, metrics.jsonl, checkpoints/\n")
    }

    /// transformers adds the load-balancing loss only when the config asks for router logits.
    static func configuredAuxiliaryCoefficient(_ directory: URL) -> Float {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("config.json").path),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              json["output_router_logits"] as? Bool == true,
              let coefficient = json["router_aux_loss_coef"] as? Double
        else { return 0 }
        return Float(coefficient)
    }
}

extension BadLinePolicy: ExpressibleByArgument {}
extension LearningRateSchedule.Shape: ExpressibleByArgument {}

/// Training progress on standard error: a redrawn bar on a terminal, one plain line per update
/// otherwise (logs, pipes).
final class ProgressLine {
    let total: Int
    let start: Int
    let began = Date()
    let isTerminal = isatty(STDERR_FILENO) != 0

    init(total: Int, start: Int) {
        self.total = total
        self.start = start
    }

    func show(_ m: StepMetrics) {
        let done = m.step - start, elapsed = Date().timeIntervalSince(began)
        let remaining = done > 0 ? elapsed / Double(done) * Double(total - m.step) : 0
        var text = String(format: "step %d/%d  loss %.4f", m.step, total, m.loss)
        if let eval = m.eval_loss { text += String(format: "  eval %.4f", eval) }
        text += String(format: "  lr %.2e  |g| %.3f  %.0f tok/s  ETA %@", m.learning_rate, m.gradient_norm, m.tokens_per_second, Self.clock(remaining))
        if isTerminal {
            let width = 24, filled = total > 0 ? width * m.step / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(text)\u{1B}[K".utf8))
        } else {
            printError(text)
        }
    }

    func finish() { if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) } }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
