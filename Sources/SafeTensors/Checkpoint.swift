import Foundation
import Tensors

/// The weights of a checkpoint directory: `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (always read through the index: real M1 shards are numbered
/// from zero), or failing both every `*.safetensors` file present. Shards are opened on first use.
public final class Checkpoint: @unchecked Sendable {
    public let directory: URL
    /// Tensor name → file name (relative to `directory`).
    public let weightMap: [String: String]
    /// The index file, when the checkpoint is sharded through one.
    public let indexURL: URL?
    private var openFiles: [String: SafeTensorsFile] = [:]
    private let lock = NSLock()
    /// How shard files are brought into memory.
    public private(set) var loadMode: MappedFile.LoadMode = .map

    /// `mode` nil: `MINIMAX_WEIGHTS=map|memory` if set, else `.memory` when every weight file
    /// together takes at most a quarter of the machine's RAM, `.map` otherwise.
    public init(directory: URL, mode: MappedFile.LoadMode? = nil) throws {
        self.directory = directory
        let fm = FileManager.default
        loadMode = mode ?? Self.defaultLoadMode(directory: directory)
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        let single = directory.appendingPathComponent("model.safetensors")
        if fm.fileExists(atPath: index.path) {
            indexURL = index
            weightMap = try Self.readIndex(index)
        } else if fm.fileExists(atPath: single.path) {
            indexURL = nil
            let file = try SafeTensorsFile(url: single, mode: loadMode)
            weightMap = Dictionary(uniqueKeysWithValues: file.entries.keys.map { ($0, "model.safetensors") })
            openFiles["model.safetensors"] = file
        } else {
            indexURL = nil
            let names = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { $0.hasSuffix(".safetensors") }.sorted()
            guard !names.isEmpty else { throw SafeTensorsError.noWeights(directory: directory.path) }
            var map: [String: String] = [:]
            for name in names {
                let file = try SafeTensorsFile(url: directory.appendingPathComponent(name), mode: loadMode)
                openFiles[name] = file
                for tensor in file.entries.keys { map[tensor] = name }
            }
            weightMap = map
        }
    }

    static func defaultLoadMode(directory: URL) -> MappedFile.LoadMode {
        if let forced = ProcessInfo.processInfo.environment["MINIMAX_WEIGHTS"].flatMap(MappedFile.LoadMode.init) {
            return forced
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let total = names.filter { $0.hasSuffix(".safetensors") }.reduce(0) { sum, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            return sum + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
        return UInt64(total) <= ProcessInfo.processInfo.physicalMemory / 4 ? .memory : .map
    }

    static func readIndex(_ url: URL) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafeTensorsError.invalidIndex(path: url.path, reason: "unreadable: \(error.localizedDescription)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SafeTensorsError.invalidIndex(path: url.path, reason: "not a JSON object")
        }
        guard let map = json["weight_map"] as? [String: Any] else {
            throw SafeTensorsError.invalidIndex(path: url.path, reason: "no 'weight_map' object")
        }
        var result: [String: String] = [:]
        for (name, file) in map {
            guard let file = file as? String, !file.isEmpty, !file.contains("/"), file != "..", file != "." else {
                throw SafeTensorsError.invalidIndex(path: url.path, reason: "weight_map['\(name)'] is not a file name in the directory")
            }
            result[name] = file
        }
        return result
    }

    public var tensorNames: [String] { weightMap.keys.sorted() }

    /// The shard files the checkpoint refers to.
    public var fileNames: [String] { Array(Set(weightMap.values)).sorted() }

    /// Whether every referenced file exists (an index may be inspected without its shards).
    public var allFilesPresent: Bool {
        fileNames.allSatisfy { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }

    public func contains(_ name: String) -> Bool { weightMap[name] != nil }

    /// The header entry of tensor `name` (opens its shard).
    public func entry(_ name: String) throws -> SafeTensorsEntry {
        let file = try fileHolding(name)
        guard let entry = file.entries[name] else {
            throw SafeTensorsError.invalidIndex(
                path: indexURL?.path ?? directory.path,
                reason: "'\(name)' is mapped to \(file.url.lastPathComponent), which does not contain it")
        }
        return entry
    }

    /// A view of tensor `name` (memory-mapped, no copy).
    public func tensor(_ name: String) throws -> TensorView {
        _ = try entry(name)
        return try fileHolding(name).tensor(name)
    }

    /// Tensor `name`'s entry and bytes whatever its dtype (see `SafeTensorsFile.bytes`).
    public func bytes(_ name: String) throws -> (entry: SafeTensorsEntry, base: UnsafeRawPointer, owner: AnyObject) {
        _ = try entry(name)
        return try fileHolding(name).bytes(name)
    }

    /// The path of the file holding tensor `name` (for messages).
    public func path(of name: String) -> String {
        directory.appendingPathComponent(weightMap[name] ?? "model.safetensors").path
    }

    private func fileHolding(_ name: String) throws -> SafeTensorsFile {
        guard let fileName = weightMap[name] else {
            throw SafeTensorsError.tensorNotFound(name: name, directory: directory.path)
        }
        lock.lock()
        defer { lock.unlock() }
        if let file = openFiles[fileName] { return file }
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SafeTensorsError.missingShard(index: indexURL?.path ?? directory.path, shard: fileName, tensor: name)
        }
        let file = try SafeTensorsFile(url: url, mode: loadMode)
        openFiles[fileName] = file
        return file
    }
}
