import Foundation
import Kernels
import SafeTensors
import Tensors

/// Why `CheckpointQuantizer` refused to write (each names the path at fault).
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    case outputExists(path: String)
    case alreadyQuantized(path: String)
    case groupSize(Int)

    public var description: String {
        switch self {
        case .outputExists(let path): return "\(path) already exists; give a new directory for the quantized model"
        case .alreadyQuantized(let path): return "\(path): config.json already has a quantization_config; quantize the original weights"
        case .groupSize(let size): return "--group-size \(size): must be a positive multiple of 32"
        }
    }
}

/// Writes a quantized copy of a checkpoint directory (`minimax quantize`): every tensor the
/// `QuantizationConfig` covers becomes codes + bf16 scales (+ minimums) under the Hugging Face
/// names (`QuantizationConfig` documents the layout), every other tensor is copied as it is, shard
/// for shard, with the index (if any) listing the new tensors; `config.json` gains
/// `quantization_config`; tokenizer and other files are copied. Everything is written to a hidden
/// sibling directory first and renamed into place at the end, so a failure leaves no half-written
/// model behind.
public enum CheckpointQuantizer {
    public struct Summary: Sendable, Equatable {
        public var quantizedTensors: Int
        public var copiedTensors: Int
        public var bytesBefore: Int
        public var bytesAfter: Int
    }

    public static func quantize(model: URL, out: URL, quantization q: QuantizationConfig) throws -> Summary {
        if let g = q.groupSize, g <= 0 || g % 32 != 0 { throw QuantizationError.groupSize(g) }
        let configuration = try Configuration.load(directory: model)
        guard configuration.quantization == nil else { throw QuantizationError.alreadyQuantized(path: model.path) }
        let fm = FileManager.default
        guard !fm.fileExists(atPath: out.path) else { throw QuantizationError.outputExists(path: out.path) }
        let checkpoint = try Checkpoint(directory: model)
        var roles: [String: ParameterRole] = [:]
        for entry in ExpectedTensors(configuration: configuration, available: Set(checkpoint.weightMap.keys)).allWithRoles {
            roles[entry.name] = entry.role
        }
        let staging = out.deletingLastPathComponent()
            .appendingPathComponent(".\(out.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: staging)
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            var summary = Summary(quantizedTensors: 0, copiedTensors: 0, bytesBefore: 0, bytesAfter: 0)
            var weightMap: [String: String] = [:]
            for file in checkpoint.fileNames {
                var tensors: [(name: String, tensor: TensorView)] = []
                for name in checkpoint.tensorNames where checkpoint.weightMap[name] == file {
                    let source = try checkpoint.tensor(name)
                    summary.bytesBefore += source.byteCount
                    let parts: [(name: String, tensor: TensorView)]
                    if let role = roles[name], let applied = q.applied(to: role), source.shape.count >= 2 {
                        parts = quantizedParts(name, source, applied)
                        summary.quantizedTensors += 1
                    } else {
                        parts = [(name, source)]
                        summary.copiedTensors += 1
                    }
                    for part in parts {
                        tensors.append(part)
                        weightMap[part.name] = file
                        summary.bytesAfter += part.tensor.dataByteCount
                    }
                }
                try SafeTensorsWriter.write(
                    tensors, metadata: ["format": "pt", "quantized_by": "minimax quantize"],
                    to: staging.appendingPathComponent(file))
            }
            if checkpoint.indexURL != nil {
                let index: [String: Any] = ["metadata": ["total_size": summary.bytesAfter], "weight_map": weightMap]
                try AtomicFile.write(
                    try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys]),
                    to: staging.appendingPathComponent("model.safetensors.index.json"))
            }
            try writeConfig(from: model, to: staging, quantization: q)
            try copyOtherFiles(from: model, to: staging, skipping: Set(checkpoint.fileNames))
            try fm.moveItem(at: staging, to: out)
            return summary
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
    }

    /// Codes, scales and (q4) minimums of weight `name`, quantized along its last axis.
    static func quantizedParts(_ name: String, _ source: TensorView, _ q: QuantizationConfig) -> [(name: String, tensor: TensorView)] {
        let k = source.shape[source.shape.count - 1]
        // values: the whole tensor in fp32 (one expert or projection at a time)
        var values = [Float](repeating: 0, count: source.elementCount)
        values.withUnsafeMutableBufferPointer { WidenRow.widen(source, start: 0, count: source.elementCount, into: $0.baseAddress!) }
        let codes = TensorView.quantized(
            values, shape: source.shape, dtype: q.scheme.dtype, groupSize: q.groupSize(k: k), int4Offset: q.int4Offset)
        let quantization = codes.quantization!
        let scaleShape = Array(source.shape.dropLast()) + [quantization.groups(k: k)]
        var parts: [(name: String, tensor: TensorView)] = [
            (name, codes),
            (QuantizationConfig.scaleName(name),
             TensorView(dtype: .bfloat16, shape: scaleShape, base: UnsafeRawPointer(quantization.scales), owner: codes.owner)),
        ]
        if let minimums = quantization.minimums {
            parts.append((QuantizationConfig.minimumName(name),
                          TensorView(dtype: .bfloat16, shape: scaleShape, base: UnsafeRawPointer(minimums), owner: codes.owner)))
        }
        return parts
    }

    /// The model's own config.json (every field kept as written) plus `quantization_config`.
    static func writeConfig(from model: URL, to directory: URL, quantization q: QuantizationConfig) throws {
        let source = model.appendingPathComponent("config.json")
        guard var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any] else {
            throw ConfigurationError.invalidJSON(path: source.path, reason: "not a JSON object")
        }
        config["quantization_config"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(q))
        try AtomicFile.write(
            try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]),
            to: directory.appendingPathComponent("config.json"))
    }

    /// Tokenizer, generation config and any other plain file beside the weights.
    static func copyOtherFiles(from model: URL, to directory: URL, skipping weightFiles: Set<String>) throws {
        let fm = FileManager.default
        let skipped = weightFiles.union(["config.json", "model.safetensors.index.json"])
        for name in try fm.contentsOfDirectory(atPath: model.path) where !skipped.contains(name) && !name.hasPrefix(".") {
            let source = model.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: source.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            try fm.copyItem(at: source, to: directory.appendingPathComponent(name))
        }
    }
}
