import Foundation

/// A machine to plan for, as totals over its devices: memory, memory bandwidth and dense peak
/// FLOP/s. Multi-device totals assume the model splits perfectly (tensor / expert parallelism
/// without communication cost), so the rates derived from them are upper bounds.
public struct Hardware: Sendable, Equatable {
    public var name: String
    public var memoryBytes: Double
    public var bandwidthBytesPerSecond: Double
    public var peakFLOPPerSecond: Double
    /// How fast decode attention gets through the KV cache, in bytes per second, when slower than
    /// `bandwidthBytesPerSecond` (nil: as fast). Flash-decoding GPU kernels come close to the
    /// memory bandwidth; a CPU kernel that spends time on each position's exponential does not.
    public var attentionBytesPerSecond: Double?
    /// Where the numbers come from.
    public var note: String

    public init(
        name: String, memoryBytes: Double, bandwidthBytesPerSecond: Double, peakFLOPPerSecond: Double,
        attentionBytesPerSecond: Double? = nil, note: String = ""
    ) {
        self.name = name
        self.attentionBytesPerSecond = attentionBytesPerSecond
        self.memoryBytes = memoryBytes
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
        self.peakFLOPPerSecond = peakFLOPPerSecond
        self.note = note
    }

    /// Vendor datasheet numbers; peak is dense bf16 (no sparsity).
    public static let presets: [String: Hardware] = [
        "8xH800": Hardware(
            name: "8× NVIDIA H800 SXM 80 GB", memoryBytes: 8 * 80e9, bandwidthBytesPerSecond: 8 * 3.35e12,
            peakFLOPPerSecond: 8 * 989e12, note: "per GPU 80 GB HBM3, 3.35 TB/s, 989 TFLOP/s dense bf16 (H100 SXM compute, reduced NVLink)"),
        "8xH100": Hardware(
            name: "8× NVIDIA H100 SXM 80 GB", memoryBytes: 8 * 80e9, bandwidthBytesPerSecond: 8 * 3.35e12,
            peakFLOPPerSecond: 8 * 989e12, note: "per GPU 80 GB HBM3, 3.35 TB/s, 989 TFLOP/s dense bf16"),
        "8xH200": Hardware(
            name: "8× NVIDIA H200 SXM 141 GB", memoryBytes: 8 * 141e9, bandwidthBytesPerSecond: 8 * 4.8e12,
            peakFLOPPerSecond: 8 * 989e12, note: "per GPU 141 GB HBM3e, 4.8 TB/s, 989 TFLOP/s dense bf16"),
        "2xEPYC9654": Hardware(
            name: "2-socket AMD EPYC 9654 server, 24 × 64 GB DDR5-4800", memoryBytes: 24 * 64e9,
            bandwidthBytesPerSecond: 2 * 12 * 38.4e9, peakFLOPPerSecond: 2 * 96 * 2.4e9 * 64,
            note: "per socket 96 Zen 4 cores at 2.4 GHz, 12 DDR5-4800 channels (460.8 GB/s); peak = vdpbf16ps bf16, 64 FLOP/cycle/core"),
    ]

    public static var presetNames: [String] { presets.keys.sorted() }

    /// A preset name or a JSON file:
    /// `{"name": …, "memory_gb": …, "bandwidth_gb_per_s": …, "peak_tflop_per_s": …, "note": …}`,
    /// optionally `"attention_gb_per_s"` (see `attentionBytesPerSecond`).
    public static func resolve(_ nameOrPath: String) throws -> Hardware {
        if let preset = presets[nameOrPath] { return preset }
        guard nameOrPath.hasSuffix(".json") || FileManager.default.fileExists(atPath: nameOrPath) else {
            throw PlanningError.unknownPreset(name: nameOrPath, known: presetNames)
        }
        guard let data = FileManager.default.contents(atPath: nameOrPath) else { throw PlanningError.missingFile(path: nameOrPath) }
        return try decode(data, path: nameOrPath)
    }

    public static func decode(_ data: Data, path: String) throws -> Hardware {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw PlanningError.invalidJSON(path: path, reason: "not a JSON object")
        }
        func positive(_ field: String) throws -> Double {
            guard let raw = object[field] else { throw PlanningError.missingField(path: path, field: field) }
            guard let number = raw as? NSNumber, !(raw is Bool), number.doubleValue > 0, number.doubleValue.isFinite else {
                throw PlanningError.invalidField(path: path, field: field, reason: "must be a positive number, got \(raw)")
            }
            return number.doubleValue
        }
        let known: Set<String> = ["name", "memory_gb", "bandwidth_gb_per_s", "peak_tflop_per_s", "attention_gb_per_s", "note"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw PlanningError.invalidField(path: path, field: unknown, reason: "unknown field (known: \(known.sorted().joined(separator: ", ")))")
        }
        return Hardware(
            name: object["name"] as? String ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent,
            memoryBytes: try positive("memory_gb") * 1e9, bandwidthBytesPerSecond: try positive("bandwidth_gb_per_s") * 1e9,
            peakFLOPPerSecond: try positive("peak_tflop_per_s") * 1e12,
            attentionBytesPerSecond: object["attention_gb_per_s"] == nil ? nil : try positive("attention_gb_per_s") * 1e9,
            note: object["note"] as? String ?? "")
    }
}
