import Foundation
import XCTest
import Tokenization

/// Runs only when `TOKENIZER_BENCH_MODEL` and `TOKENIZER_BENCH_FILE` are set (by
/// `scripts/bench/tokenizer_throughput.py`, until `minimax tokenize --bench` exists); prints the
/// same JSON line the CLI will.
final class ThroughputBenchmarkTests: XCTestCase {
    func testEncodeThroughput() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let model = environment["TOKENIZER_BENCH_MODEL"], let file = environment["TOKENIZER_BENCH_FILE"] else {
            throw XCTSkip("set TOKENIZER_BENCH_MODEL and TOKENIZER_BENCH_FILE to benchmark")
        }
        let loadStart = Date()
        let tokenizer = try Tokenizer.load(directory: URL(fileURLWithPath: model))
        print("loaded \(model) in \(String(format: "%.3f", Date().timeIntervalSince(loadStart))) s")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let repetitions = Int(environment["TOKENIZER_BENCH_REPETITIONS"] ?? "") ?? 5
        let result = try TokenizerBenchmark.measureEncode(tokenizer: tokenizer, text: text, repetitions: repetitions)
        if let idsPath = environment["TOKENIZER_BENCH_IDS_OUT"] {
            // Lets the script check the ids themselves, not just their count, against `tokenizers`.
            let ids = try tokenizer.encode(text).map(String.init).joined(separator: "\n")
            try ids.write(toFile: idsPath, atomically: true, encoding: .utf8)
        }
        print(#"{"mb_per_s": \#(result.bytesPerSecond / 1e6), "tokens": \#(result.tokenCount)}"#)
    }
}
