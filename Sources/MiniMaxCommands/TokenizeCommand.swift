import ArgumentParser
import Foundation
import Generation
import Tokenization

/// `minimax tokenize`: text → ids (JSON), ids → text, or an encode-throughput measurement.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Encode text to token ids (JSON), or decode ids with --decode.")

    @Option(name: .long, help: "Model directory with tokenizer.json (or vocab.json + merges.txt).")
    var model: String

    @Option(name: .long, parsing: .unconditional, help: "Text to encode.")
    var text: String?

    @Option(name: .long, parsing: .unconditional, help: "Comma-separated ids to decode.")
    var decode: String?

    @Option(name: .long, help: "Measure encode throughput on this file; prints {\"mb_per_s\":…, \"tokens\":…}.")
    var bench: String?

    @Option(name: .long, parsing: .unconditional, help: "Repetitions for --bench.")
    var repetitions: Int = 3

    @Flag(name: .long, help: "Apply the post-processor's special tokens (BOS/EOS) when encoding.")
    var addSpecialTokens = false

    func validate() throws {
        try checkModelDirectory(model)
        if let decode { _ = try parseTokenIDs(decode, option: "--decode") }
        guard [text, decode, bench].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --text, --decode or --bench")
        }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, got \(repetitions)") }
    }

    func run() throws {
        let tokenizer = try ModelBundle.loadTokenizer(directory: URL(fileURLWithPath: model))
        if let text {
            let ids = try tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        } else if let decode {
            print(try tokenizer.decode(try parseTokenIDs(decode, option: "--decode")))
        } else if let bench {
            guard let data = FileManager.default.contents(atPath: bench) else {
                throw CommandFailure("--bench: cannot read \(bench)")
            }
            guard let corpus = String(data: data, encoding: .utf8) else {
                throw CommandFailure("--bench: \(bench) is not valid UTF-8")
            }
            let measured = try TokenizerBenchmark.measureEncode(tokenizer: tokenizer, text: corpus, repetitions: repetitions)
            print("{\"mb_per_s\": \(measured.bytesPerSecond / 1e6), \"tokens\": \(measured.tokenCount)}")
        }
    }
}
