import Foundation
import TestSupport
import Tokenization
import XCTest

/// `TokenizerBenchmark.measureEncode`, behind `minimax tokenize --bench` (which
/// `scripts/bench/tokenizer_throughput.py` compares with the `tokenizers` library): it reports the
/// token count of an ordinary encode and a throughput consistent with the time one encode takes.
final class ThroughputBenchmarkTests: XCTestCase {
    func testMeasureEncodeReportsTheTokenCountAndARealRate() throws {
        let directory = TestSupport.fixtures("TokenizationTests").appendingPathComponent("gpt4o_split")
        let tokenizer = try Tokenizer.load(directory: directory)
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("expected.json"))) as! [String: Any]
        let cases = try XCTUnwrap(golden["cases"] as? [[String: Any]])
        let text = String(repeating: cases.compactMap { $0["text"] as? String }.joined(separator: "\n"), count: 20)
        let expectedTokens = try tokenizer.encode(text).count
        XCTAssertGreaterThan(expectedTokens, 1000)

        let start = Date()
        let measured = try TokenizerBenchmark.measureEncode(tokenizer: tokenizer, text: text, repetitions: 3)
        let wall = Date().timeIntervalSince(start)
        XCTAssertEqual(measured.tokenCount, expectedTokens)
        // Four encodes ran (a warm-up and three timed); the best of them took at most a quarter
        // of the wall time, so the rate is at least 4 × bytes / wall, and a finite number.
        XCTAssertTrue(measured.bytesPerSecond.isFinite)
        XCTAssertGreaterThanOrEqual(measured.bytesPerSecond, 4 * Double(text.utf8.count) / wall * 0.99)
    }
}
