import ArgumentParser
import Foundation
import MiniMax
import Tensors

/// `minimax quantize`: a quantized copy of a checkpoint (int8 or 4-bit weights with bf16 scales,
/// layout in `QuantizationConfig`), loaded afterwards like any checkpoint.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write an int8 or 4-bit (q4) copy of a model's expert (or all linear) weights.")

    @Option(name: .long, help: "Model directory to read (config.json + safetensors weights).")
    var model: String

    @Option(name: .long, help: "New directory to write (must not exist).")
    var out: String

    @Option(name: .long, help: ArgumentHelp(
        "int8: symmetric, one scale per output row (per group with --group-size); q4: 4-bit codes with a scale and a minimum per group.",
        valueName: "int8|q4"))
    var type: String

    @Option(name: .long, parsing: .unconditional, help: "Input elements per scale, a multiple of 32 (q4 default 32; int8 default: the whole row).")
    var groupSize: Int?

    @Option(name: .long, help: ArgumentHelp(
        "experts: MoE expert weights only (router, attention, norms, embedding and LM head keep their precision); linear: also the attention projections; all: also the LM head (unless tied to the embedding), with attention and head at int8 unless --attention-type/--head-type say q4.",
        valueName: "experts|linear|all"))
    var scope: String = QuantizationConfig.Scope.experts.rawValue

    @Option(name: .long, help: ArgumentHelp(
        "--scope linear/all: the attention projections' type (default: --type under linear; int8 under all, as llama.cpp's Q4_K_M keeps attention values at 6 bits).",
        valueName: "int8|q4"))
    var attentionType: String?

    @Option(name: .long, help: ArgumentHelp(
        "--scope all only: the LM head's type (default int8: llama.cpp's Q4_K_M keeps its output matrix at 6 bits).",
        valueName: "int8|q4"))
    var headType: String?

    @Option(name: .long, help: ArgumentHelp(
        "q4 only: 'min' (each group spans its own [min, max], the default) or 'symmetric' (levels −8…7 steps about zero).",
        valueName: "min|symmetric", visibility: .hidden))
    var q4Offset: String = WeightQuantizer.Int4Offset.minimum.rawValue

    func validate() throws {
        try checkModelDirectory(model)
        guard QuantizationConfig.Scheme(rawValue: type) != nil else {
            throw ValidationError("--type must be int8 or q4, got '\(type)'")
        }
        guard QuantizationConfig.Scope(rawValue: scope) != nil else {
            throw ValidationError("--scope must be experts, linear or all, got '\(scope)'")
        }
        guard WeightQuantizer.Int4Offset(rawValue: q4Offset) != nil else {
            throw ValidationError("--q4-offset must be min or symmetric, got '\(q4Offset)'")
        }
        for (flag, value, scopes) in [("--attention-type", attentionType, ["linear", "all"]), ("--head-type", headType, ["all"])] {
            guard let value else { continue }
            guard QuantizationConfig.Scheme(rawValue: value) != nil else {
                throw ValidationError("\(flag) must be int8 or q4, got '\(value)'")
            }
            guard scopes.contains(scope) else {
                throw ValidationError("\(flag) needs --scope \(scopes.joined(separator: " or ")) (only then is that matrix quantized)")
            }
        }
        if let groupSize, groupSize <= 0 || groupSize % 32 != 0 {
            throw ValidationError("--group-size must be a positive multiple of 32, got \(groupSize)")
        }
        if FileManager.default.fileExists(atPath: out) {
            throw ValidationError("--out \(out) already exists; give a new directory")
        }
    }

    func run() throws {
        let scheme = QuantizationConfig.Scheme(rawValue: type)!
        let q = QuantizationConfig(
            scheme: scheme, groupSize: groupSize ?? (scheme == .q4 ? 32 : nil), scope: QuantizationConfig.Scope(rawValue: scope)!,
            int4Offset: WeightQuantizer.Int4Offset(rawValue: q4Offset)!,
            attentionScheme: attentionType.flatMap(QuantizationConfig.Scheme.init) ?? (scope == "all" ? .int8 : nil),
            headScheme: headType.flatMap(QuantizationConfig.Scheme.init) ?? .int8)
        let summary = try CheckpointQuantizer.quantize(
            model: URL(fileURLWithPath: model), out: URL(fileURLWithPath: out), quantization: q)
        print("quantized \(summary.quantizedTensors) tensors to \(type) (group \(q.groupSize.map(String.init) ?? "row")"
              + "\(q.ownSchemes.map { "; " + $0 }.joined())), "
              + "copied \(summary.copiedTensors); weights \(InspectCommand.bytes(summary.bytesBefore)) → "
              + "\(InspectCommand.bytes(summary.bytesAfter)); wrote \(out)")
    }
}
