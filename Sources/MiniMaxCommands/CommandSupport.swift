import ArgumentParser
import Foundation
import Kernels
import Tokenization

/// Parses "3,17,42" into token ids, naming the option on failure.
func parseTokenIDs(_ text: String, option: String = "--ids") throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw ValidationError("\(option): no token ids given")
    }
    return try parts.enumerated().map { i, part in
        guard let id = Int(part), id >= 0 else {
            throw ValidationError("\(option): item \(i + 1) '\(part)' is not a non-negative integer")
        }
        return id
    }
}

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Model directory (config.json + safetensors weights).")
    var model: String

    @Option(name: .long, help: "Worker threads for the kernels (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Activations in products with bf16 weights: exact (fp32, the default) or bf16 (rounded, on the CPU's bf16 dot-product instructions: about 2x prefill, logits change by ~5e-3 relative).",
        valueName: "exact|bf16"))
    var precision: MatMulPrecision = .exact

    var directory: URL { URL(fileURLWithPath: model) }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}

extension MatMulPrecision: ExpressibleByArgument {}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
