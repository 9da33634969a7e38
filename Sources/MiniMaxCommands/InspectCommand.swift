import ArgumentParser
import Foundation
import MiniMax
import SafeTensors

/// `minimax inspect`: what a model directory holds, without running it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the decoded configuration, layer plan, parameter counts and missing or unused tensors.")

    @Option(name: .long, help: "Model directory (config.json, optionally an index and shards).")
    var model: String

    func validate() throws { try checkModelDirectory(model) }

    func run() throws {
        let directory = URL(fileURLWithPath: model)
        let configuration = try Configuration.load(directory: directory)
        // The whole report or only the error: half a report would read as a healthy checkpoint.
        let report = Self.describe(configuration) + "\n" + (try Self.describeTensors(configuration, directory: directory))
        writeOutput(report + "\n")
    }

    static func describe(_ c: Configuration) -> String {
        let counts = ParameterCount(c)
        var lines: [String] = []
        lines.append("model_type          \(c.modelType)")
        lines.append("vocabulary          \(c.vocabularySize)")
        lines.append("hidden size         \(c.hiddenSize)")
        lines.append("layers              \(c.layerCount) (\(c.layerKinds.filter { $0 == .lightning }.count) lightning, \(c.layerKinds.filter { $0 == .softmax }.count) softmax)")
        lines.append("heads               \(c.headCount) × head_dim \(c.headDim) = \(c.headCount * c.headDim); \(c.keyValueHeadCount) KV heads in softmax layers")
        lines.append("experts             \(c.expertCount), top-\(c.expertsPerToken), expert FFN \(c.intermediateSize), SwiGLU")
        lines.append("RoPE                θ = \(c.ropeTheta), rotary dims \(c.rotaryDim) of \(c.headDim) (softmax layers only)")
        lines.append("lightning block     \(c.blockSize)")
        lines.append("residual α/β        lightning \(c.lightningResidual.alpha)/\(c.lightningResidual.beta), softmax \(c.softmaxResidual.alpha)/\(c.softmaxResidual.beta), mlp \(c.mlpResidual.alpha)/\(c.mlpResidual.beta)\(c.residualIsNormalized ? "" : " (pre-norm residual)")")
        lines.append("RMSNorm eps         \(c.rmsNormEpsilon) (lightning output norm \(c.lightningNormEpsilon))")
        if let window = c.slidingWindow { lines.append("sliding window      \(window)") }
        lines.append("tied embeddings     \(c.tieWordEmbeddings)")
        if let q = c.quantization {
            lines.append("quantization        \(q.scheme.rawValue), \(q.groupSize.map { "groups of \($0)" } ?? "one scale per row"), \(q.scope.summary)\(q.ownSchemes.isEmpty ? "" : " (\(q.ownSchemes.joined(separator: ", ")))")")
        }
        lines.append("eos token ids       \(c.eosTokenIDs.isEmpty ? "none" : c.eosTokenIDs.map(String.init).joined(separator: ", "))")
        lines.append("parameters          \(format(counts.total)) total, \(format(counts.activePerToken)) active per token (excluding \(format(counts.embedding)) in embedding + LM head)")
        lines.append("layer plan          \(layerPlan(c.layerKinds))")
        return lines.joined(separator: "\n")
    }

    /// "0-6 lightning, 7 softmax, …" — runs of equal kinds.
    static func layerPlan(_ kinds: [LayerKind]) -> String {
        var runs: [String] = []
        var start = 0
        while start < kinds.count {
            var end = start
            while end + 1 < kinds.count && kinds[end + 1] == kinds[start] { end += 1 }
            runs.append("\(start == end ? "\(start)" : "\(start)-\(end)") \(kinds[start].rawValue)")
            start = end + 1
        }
        return runs.joined(separator: ", ")
    }

    static func format(_ n: Int) -> String {
        let value = Double(n)
        if value >= 1e9 { return String(format: "%.2fB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.2fM", value / 1e6) }
        if value >= 1e3 { return String(format: "%.1fK", value / 1e3) }
        return "\(n)"
    }

    /// "1.2 GB", "340.0 MB", "12.0 KB".
    static func bytes(_ n: Int) -> String {
        let value = Double(n)
        if value >= 1e9 { return String(format: "%.1f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        return String(format: "%.1f KB", value / 1e3)
    }

    static func describeTensors(_ c: Configuration, directory: URL) throws -> String {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(directory: directory) } catch SafeTensorsError.noWeights {
            return "tensors             no weights in \(directory.path) (no index, no safetensors file)"
        }
        let expected = ExpectedTensors(configuration: c, available: Set(checkpoint.weightMap.keys))
        var lines: [String] = []
        let files = checkpoint.fileNames
        let present = files.filter { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
        lines.append("tensors             \(checkpoint.weightMap.count) in \(files.count) file(s), \(present.count) present")
        let layout = (0..<c.layerCount).map { expected.expertLayout(layer: $0) }
        if let first = layout.first {
            lines.append("expert storage      \(first.fused ? "fused gate_up_proj/down_proj" : "one tensor per expert") under '\(first.module)'")
        }
        let missing = expected.missing, unused = expected.unused
        lines.append("missing tensors     \(missing.count)")
        for name in missing.prefix(50) { lines.append("  - \(name)") }
        if missing.count > 50 { lines.append("  … and \(missing.count - 50) more") }
        lines.append("unused tensors      \(unused.count)")
        for name in unused.prefix(50) { lines.append("  - \(name)") }
        if unused.count > 50 { lines.append("  … and \(unused.count - 50) more") }
        let derived = expected.ignoredDerivedBuffers
        if !derived.isEmpty { lines.append("derived buffers     \(derived.count) ignored (recomputed from the config)") }
        // With the shards at hand, also check every shape.
        if present.count == files.count && !files.isEmpty {
            var wrong: [String] = []
            for (name, shape, role) in expected.allWithRoles where checkpoint.contains(name) {
                let entry = try checkpoint.entry(name)
                if entry.shape != shape { wrong.append("  - \(name): \(entry.shape), expected \(shape)") }
                // Quantized codes are integers by design (loading checks their dtypes).
                let quantized = c.quantization?.covers(role) ?? false
                if entry.dtype == nil && !quantized { wrong.append("  - \(name): dtype \(entry.dtypeName) cannot be computed with") }
            }
            lines.append("wrong shapes/dtypes \(wrong.count)")
            lines += wrong
        }
        return lines.joined(separator: "\n")
    }
}
