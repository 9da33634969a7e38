import ArgumentParser
import Foundation
import Kernels
import Tokenization

/// Parses "3,17,42" into token ids, naming the option and the item on failure.
func parseTokenIDs(_ text: String, option: String = "--ids") throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw ValidationError("\(option): no token ids given")
    }
    return try parts.enumerated().map { i, part in
        if let id = Int(part) {
            guard id >= 0 else { throw ValidationError("\(option): item \(i + 1) '\(part)' is negative") }
            return id
        }
        if !part.isEmpty, part.allSatisfy(\.isASCII), part.drop(while: { $0 == "-" || $0 == "+" }).allSatisfy(\.isNumber),
           part.contains(where: \.isNumber) {
            throw ValidationError("\(option): item \(i + 1) '\(part)' is out of range (at most \(Int.max))")
        }
        throw ValidationError("\(option): item \(i + 1) '\(part)' is not a non-negative integer")
    }
}

/// A failure while running a command (a file that cannot be read or written, a model that cannot
/// be loaded): printed as "Error: …" without the usage text, which is for mistakes in the arguments.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `path` may name a model directory that does not exist yet (the load then says what is missing)
/// but not a file: `--model model/config.json` would otherwise look for `config.json/config.json`.
func checkModelDirectory(_ path: String, option: String = "--model") throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        throw ValidationError("\(option): \(path) is a file; give the model directory that holds config.json (\(parent)?)")
    }
}

/// The most worker threads `--threads` may ask for. Each is a real thread started at once: a
/// count like 9223372036854775807 would exhaust the process table of a shared machine, which
/// hurts every user on it. 1024 is far above any core count this engine runs on.
let maximumThreadCount = 1024

/// `--threads` in 1...maximumThreadCount (nil: all cores).
func checkThreadCount(_ threads: Int?) throws {
    guard let threads else { return }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    guard threads <= maximumThreadCount else {
        throw ValidationError("--threads \(threads) is above the limit \(maximumThreadCount)")
    }
}

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Model directory (config.json + safetensors weights); default: the bundled tiny arithmetic model (models/tiny-arithmetic).")
    var model: String?

    @Option(name: .long, parsing: .unconditional, help: "Worker threads for the kernels (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Activations in products with bf16 weights: exact (fp32, the default) or bf16 (rounded, on the CPU's bf16 dot-product instructions: vdpbf16ps, about 2x prefill on AMD Zen 4/5; AMX tiles for prefill on Intel Xeons that have them, 2-3x prefill there; attention's prompt products too, in layers whose weights are not fp32; logits change by ~5e-3 relative); int8/q4 weights (`minimax quantize`): under bf16 their prompt rows run on the same bf16 kernels, dequantized to bf16 a block at a time; int8: int8 activations (blocks of 32) on integer dot products (VNNI), except prompt rows on CPUs with AMX tiles, which run as under bf16 (faster there; MINIMAX_QUANTIZED_TILED_BF16=0|1 sets that; AMX int8 tiles with MINIMAX_AMX_INT8=1).",
        valueName: "exact|bf16|int8"))
    var precision: MatMulPrecision = .exact

    /// `--model`, or the bundled model when it is not given (`validate` has checked that one exists).
    var path: String { model ?? (try? BundledModel.directory()) ?? BundledModel.relativePath }

    var directory: URL { URL(fileURLWithPath: path) }

    func validate() throws {
        try checkModelDirectory(model ?? BundledModel.directory())
        try checkThreadCount(threads)
    }

    /// Sets the kernels' thread count from `--threads` (all cores when unset).
    func applyThreadCount() {
        if let threads { Parallel.threadCount = threads }
    }
}

extension MatMulPrecision: ExpressibleByArgument {}

/// Writes to standard output unbuffered. Streamed text goes out this way, so everything a command
/// prints must too: `print` is buffered when stdout is a pipe and would come out after it.
func writeOutput(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
