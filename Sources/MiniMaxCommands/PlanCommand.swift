import ArgumentParser
import Foundation
import MiniMax
import Planning

/// `minimax plan`: what running a configuration costs (weights per format, per-sequence memory,
/// FLOPs and bytes per token, fit and roofline rates on given hardware), without any weights.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Estimate memory, FLOPs, bytes per token and speed of a model configuration on given hardware.")

    @Option(name: .long, help: "Model directory holding config.json, or a config file.")
    var model: String

    @Option(name: .long, help: "Weight format for the fit and speed lines: \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", ")). Every format's size is printed regardless.")
    var weights: String = "bf16"

    @Option(name: .long, help: "Softmax KV cache element type: fp32, bf16 or fp8.")
    var kvDtype: String = "bf16"

    @Option(name: .long, help: "Tokens of context per sequence (K = 1024, M = 1048576; e.g. 1M, 128K, 100000).")
    var context: String = "1M"

    @Option(name: .long, parsing: .unconditional, help: "Sequences decoding together.")
    var batch: Int = 1

    @Option(name: .long, help: "Tokens to generate after the context (K/M suffixes as --context).")
    var generate: String = "64K"

    @Option(name: .long, help: "Hardware: a JSON file {name, memory_gb, bandwidth_gb_per_s, peak_tflop_per_s, note, optional attention_gb_per_s} or a preset (\(Hardware.presetNames.joined(separator: ", "))); repeatable. Default: every preset.")
    var hardware: [String] = []

    @Option(name: .long, help: "A DeepSeek-V3/R1-style config.json to compare FLOPs with (docs/plan/deepseek-r1-config.json).")
    var compareConfig: String?

    @Option(name: .long, help: "Write cumulative FLOPs vs generation length (this model and the --compare-config one) as an SVG file.")
    var plot: String?

    @Option(name: .long, help: "Longest generation length on the plot (K/M suffixes).")
    var plotTokens: String = "128K"

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard WeightFormat(rawValue: weights) != nil else {
            throw ValidationError("--weights must be one of \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(weights)'")
        }
        guard CacheType(rawValue: kvDtype) != nil else {
            throw ValidationError("--kv-dtype must be one of \(CacheType.allCases.map(\.rawValue).joined(separator: ", ")), got '\(kvDtype)'")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        _ = try Self.tokenCount(context, option: "--context")
        guard try Self.tokenCount(generate, option: "--generate") >= 1 else { throw ValidationError("--generate must be at least 1") }
        guard try Self.tokenCount(plotTokens, option: "--plot-tokens") >= 16 else { throw ValidationError("--plot-tokens must be at least 16") }
        if plot != nil && compareConfig == nil {
            throw ValidationError("--plot draws this model against --compare-config: give both")
        }
    }

    /// "128K" → 131072, "1M" → 1048576, "100000" → 100000.
    static func tokenCount(_ text: String, option: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let multiplier = trimmed.hasSuffix("K") ? 1 << 10 : trimmed.hasSuffix("M") ? 1 << 20 : 1
        let digits = multiplier == 1 ? trimmed : String(trimmed.dropLast())
        guard let n = Int(digits), n >= 0, n <= Int(Int32.max) else {
            throw ValidationError("\(option): '\(text)' is not a token count (a number, optionally with K = 1024 or M = 1048576)")
        }
        return n * multiplier
    }

    /// A directory with config.json, or the config file itself.
    static func loadConfiguration(_ path: String) throws -> Configuration {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError.missingFile(path: path)
        }
        if isDirectory.boolValue { return try Configuration.load(directory: URL(fileURLWithPath: path)) }
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigurationError.missingFile(path: path) }
        return try Configuration.decode(data, path: path)
    }

    func run() throws {
        let configuration = try Self.loadConfiguration(model)
        let sheet = ModelCostSheet(miniMax: configuration, name: Self.modelName(configuration))
        let hardwareList = try (hardware.isEmpty ? Hardware.presetNames : hardware).map(Hardware.resolve)
        let comparison = try compareConfig.map {
            FlopComparison(model: sheet, reference: ModelCostSheet(deepSeek: try DeepSeekConfiguration.load(path: $0)))
        }
        let settings = PlanReport.Settings(
            format: WeightFormat(rawValue: weights)!, cacheType: CacheType(rawValue: kvDtype)!,
            context: try Self.tokenCount(context, option: "--context"), batch: batch,
            generate: try Self.tokenCount(generate, option: "--generate"))
        let report = PlanReport(configuration: configuration, sheet: sheet, settings: settings, hardware: hardwareList, comparison: comparison)
        if let plot, let comparison {
            try comparison.chart(upTo: try Self.tokenCount(plotTokens, option: "--plot-tokens")).write(to: URL(fileURLWithPath: plot))
        }
        writeOutput(json ? try report.json() + "\n" : report.text() + (plot.map { "\nwrote \($0)\n" } ?? ""))
    }

    static func modelName(_ c: Configuration) -> String {
        // The real M1's shape gets its name; anything else is named by its type and size.
        c.layerCount == 80 && c.hiddenSize == 6144 && c.expertCount == 32 ? "MiniMax-M1" : "\(c.modelType) (\(InspectCommand.format(ParameterCount(c).total)))"
    }
}
