import Foundation
import MiniMax
import SafeTensors
import Tensors

/// A trainer state that knows how many optimizer updates were taken.
public protocol StepCounting {
    var optimizerSteps: Int { get }
}

/// Where a run stands, saved beside its weights so `--resume` continues exactly.
public struct TrainerState: Codable, Sendable, Equatable, StepCounting {
    public var optimizerSteps: Int { step }

    /// Optimizer updates done.
    public var step: Int
    /// Training windows consumed (the data position).
    public var windowsConsumed: Int
    /// The packed data's fingerprint, to refuse resuming on other data.
    public var dataFingerprint: UInt64
    public var options: TrainingOptions

    public init(step: Int, windowsConsumed: Int, dataFingerprint: UInt64, options: TrainingOptions) {
        self.step = step
        self.windowsConsumed = windowsConsumed
        self.dataFingerprint = dataFingerprint
        self.options = options
    }
}

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case incompatible(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read checkpoint: \(reason)"
        case .incompatible(let path, let reason): return "\(path): cannot resume: \(reason)"
        }
    }
}

/// Checkpoints of a run under `OUT/checkpoints/step-NNNNNNN/`: the model in the Hugging Face layout
/// (config, fp32 safetensors, tokenizer files), the optimizer's moments and the trainer state.
/// Each is written into a hidden sibling directory and renamed into place, so a checkpoint is
/// complete or absent, whatever kills the process.
public struct CheckpointDirectory: Sendable {
    public let root: URL

    public init(output: URL) { root = output.appendingPathComponent("checkpoints") }

    public func url(step: Int) -> URL { root.appendingPathComponent(String(format: "step-%07d", step)) }

    /// The completed checkpoints' steps, ascending.
    public func steps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix("step-") else { return nil }
            return Int(name.dropFirst(5))
        }.sorted()
    }

    /// Removes what an interrupted write left behind.
    public func removeIncomplete() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for name in names where name.hasPrefix(".incomplete-") {
            try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
        }
    }

    /// Deletes all but the newest `count` checkpoints (none when `count` is 0).
    public func removeOlder(keeping count: Int) {
        guard count > 0 else { return }
        for step in steps().dropLast(count) { try? FileManager.default.removeItem(at: url(step: step)) }
    }

    public func write<State: Encodable>(
        step: Int, parameters: ParameterStore, optimizer: AdamW, state: State, modelFiles: ModelFiles
    ) throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let temporary = root.appendingPathComponent(".incomplete-\(step)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false)
        do {
            try modelFiles.write(parameters, to: temporary)
            try writeOptimizer(optimizer, to: temporary.appendingPathComponent("optimizer.safetensors"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(state), to: temporary.appendingPathComponent("trainer_state.json"))
            let final = url(step: step)
            if FileManager.default.fileExists(atPath: final.path) { try FileManager.default.removeItem(at: final) }
            guard rename(temporary.path, final.path) == 0 else {
                throw FileWriteError(path: final.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    private func writeOptimizer(_ optimizer: AdamW, to url: URL) throws {
        var tensors: [(name: String, tensor: TensorView)] = []
        for (name, view) in optimizer.firstMoment.tensorViews() { tensors.append(("exp_avg." + name, view)) }
        for (name, view) in optimizer.secondMoment.tensorViews() { tensors.append(("exp_avg_sq." + name, view)) }
        try SafeTensorsWriter.write(tensors, metadata: ["step": String(optimizer.step)], to: url)
    }

    /// Loads checkpoint `step`: weights, optimizer (moments and step) and trainer state.
    public func load(step: Int, configuration: Configuration, optimizer settings: AdamWSettings) throws
        -> (parameters: ParameterStore, optimizer: AdamW, state: TrainerState)
    {
        try load(step: step, configuration: configuration, optimizer: settings, state: TrainerState.self)
    }

    /// The same for a trainer with its own state type; the optimizer's step count is the state's `step`.
    public func load<State: Decodable & StepCounting>(
        step: Int, configuration: Configuration, optimizer settings: AdamWSettings, state stateType: State.Type
    ) throws -> (parameters: ParameterStore, optimizer: AdamW, state: State) {
        let directory = url(step: step)
        do {
            let state = try JSONDecoder().decode(
                State.self, from: Data(contentsOf: directory.appendingPathComponent("trainer_state.json")))
            let parameters = try ParameterStore.load(configuration: configuration, checkpoint: try Checkpoint(directory: directory))
            let file = try SafeTensorsFile(url: directory.appendingPathComponent("optimizer.safetensors"))
            let m = ParameterStore(tree: parameters.tree), v = ParameterStore(tree: parameters.tree)
            for (i, p) in parameters.tree.parameters.enumerated() {
                for (store, prefix) in [(m, "exp_avg."), (v, "exp_avg_sq.")] {
                    let view = try file.tensor(prefix + p.name)
                    guard view.shape == p.shape, view.dtype == .float32 else {
                        throw CheckpointError.incompatible(path: directory.path, reason: "optimizer tensor \(prefix + p.name) has shape \(view.shape)")
                    }
                    store.pointer(i).update(from: view.base.assumingMemoryBound(to: Float.self), count: p.elementCount)
                }
            }
            let optimizer = AdamW(tree: parameters.tree, settings: settings)
            optimizer.restore(step: state.optimizerSteps, firstMoment: m, secondMoment: v)
            return (parameters, optimizer, state)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.unreadable(path: directory.path, reason: "\(error)")
        }
    }
}

/// The non-weight files of a model directory (config, tokenizer, chat template, generation
/// config), copied into every checkpoint and the final model so each loads on its own.
public struct ModelFiles: Sendable {
    public let configuration: Configuration
    /// The directory whose tokenizer and generation files are copied.
    public let source: URL?
    /// A config.json to copy as it is (nil: the configuration is written in the transformers dialect).
    public let configurationFile: URL?

    public static let copiedFiles = [
        "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json",
        "added_tokens.json", "generation_config.json",
    ]

    public init(configuration: Configuration, source: URL?, configurationFile: URL? = nil) {
        self.configuration = configuration
        self.source = source
        self.configurationFile = configurationFile
    }

    /// Writes config.json, model.safetensors and the copied files into `directory`. A given
    /// configuration file is copied as it is (fields the engine does not read, such as
    /// `router_aux_loss_coef`, survive).
    public func write(_ parameters: ParameterStore, to directory: URL, dtype: DType = .float32) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("config.json")
        if let configurationFile, let data = FileManager.default.contents(atPath: configurationFile.path) {
            try AtomicFile.write(data, to: config)
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(configuration), to: config)
        }
        try parameters.writeSafeTensors(to: directory.appendingPathComponent("model.safetensors"), dtype: dtype)
        guard let source, source.standardizedFileURL != directory.standardizedFileURL else { return }
        for name in Self.copiedFiles {
            let from = source.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: from.path) else { continue }
            try AtomicFile.write(data, to: directory.appendingPathComponent(name))
        }
    }
}
