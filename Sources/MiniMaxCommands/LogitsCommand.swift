import ArgumentParser
import Foundation
import Kernels
import MiniMax
import Tensors

/// `minimax logits`: float32 logits of a token sequence as a NumPy file.
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write the logits [number of ids, vocab] of a token sequence to a .npy file.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, parsing: .unconditional, help: "Comma-separated token ids, e.g. 3,17,42.")
    var ids: String

    @Option(name: .long, help: "Output .npy file (float32).")
    var out: String

    @Option(name: .long, parsing: .unconditional, help: "Feed the ids N at a time through the cache (1 = token-by-token decoding).")
    var chunk: Int?

    func validate() throws {
        _ = try parseTokenIDs(ids)
        if let chunk, chunk < 1 { throw ValidationError("--chunk must be at least 1, got \(chunk)") }
    }

    func run() throws {
        let tokenIDs = try parseTokenIDs(ids)
        let model = try options.loadModel()
        let logits = try Self.logits(model: model, ids: tokenIDs, chunk: chunk)
        try NumPyFile.write(logits.data, shape: [logits.rows, logits.cols], to: URL(fileURLWithPath: out))
    }

    /// Runs `ids` in one pass, or `chunk` at a time through one cache.
    static func logits(model: MiniMaxModel, ids: [Int], chunk: Int?) throws -> Matrix {
        var cache = model.makeCache()
        return try model.prefill(ids, cache: &cache, chunk: chunk ?? ids.count, lastTokenOnly: false)
    }
}
