import Foundation
import TestSupport
import XCTest
@testable import Tokenization

/// M1's real merge list from ../shared (skipped in a clone without it).
final class MiniMaxM1VocabularyTests: XCTestCase {
    // NSCache is thread-safe.
    nonisolated(unsafe) private static let cachedTokenizers = NSCache<NSString, Tokenizer>()

    private func m1(_ rule: SplitRule = .gpt4o) throws -> Tokenizer {
        guard let shared = TestSupport.sharedDirectory else { throw XCTSkip("../shared/minimax-m1 is absent") }
        let key = "\(rule)" as NSString
        if let cached = Self.cachedTokenizers.object(forKey: key) { return cached }
        let tokenizer = try Tokenizer.m1(mergesFile: shared.appendingPathComponent("minimax-m1/merges.txt"), splitRule: rule)
        Self.cachedTokenizers.setObject(tokenizer, forKey: key)
        return tokenizer
    }

    func testThinkTagsEncodeAsKnownIDs() throws {
        for rule in [SplitRule.gpt4o, .gpt4, .gpt2] {
            let tokenizer = try m1(rule)
            XCTAssertEqual(try tokenizer.encode("<think>"), [60, 37959, 62], "\(rule)")
            XCTAssertEqual(try tokenizer.encode("</think>"), [1579, 37959, 62], "\(rule)")
        }
    }

    func testVocabularyLayout() throws {
        let tokenizer = try m1()
        XCTAssertEqual(tokenizer.token(of: 32), "Ġ")  // byte 0x20
        XCTAssertEqual(tokenizer.token(of: 0), "Ā")
        XCTAssertEqual(tokenizer.token(of: 256), "ĠĠ")  // merge 0: "Ġ Ġ"
        XCTAssertEqual(tokenizer.token(of: 257), "Ġt")
        // 199,744 merges (the last line has no newline, so `wc -l` says one fewer) fill ids up to
        // 199,999 exactly; the added tokens follow.
        XCTAssertEqual(tokenizer.token(of: 199_999), ".chromium")
        XCTAssertEqual(tokenizer.token(of: 200_000), "<pad>")
        XCTAssertNil(tokenizer.token(of: 200_001))
        XCTAssertEqual(tokenizer.id(of: "<end_of_sentence>"), 200_020)
        XCTAssertEqual(tokenizer.vocabularySize, 200_023)
        XCTAssertEqual(tokenizer.specialTokenIDs, [200_000, 200_019, 200_020, 200_021, 200_022])
    }

    func testChatTextWithSpecialTokens() throws {
        let tokenizer = try m1()
        let text = "<beginning_of_sentence>user name=user\nHi<end_of_sentence>\n<beginning_of_sentence>ai name=assistant\n"
        let ids = try tokenizer.encode(text)
        XCTAssertEqual(ids.first, 200_019)
        XCTAssertEqual(ids.filter { $0 == 200_020 }.count, 1)
        XCTAssertEqual(try tokenizer.decode(ids), text)
        XCTAssertEqual(try tokenizer.decode(ids, skipSpecialTokens: true), "user name=user\nHi\nai name=assistant\n")
    }

    func testRoundTripOfVariedText() throws {
        let texts = [
            "Hello, world! I'm here; you'll see. 12345 + 6789 = 19134",
            "Привет мир — Γειά σου — مرحبا — שלום — नमस्ते — สวัสดี — 你好，世界 — こんにちは — 안녕하세요",
            "Emoji 👨‍👩‍👧‍👦 🇫🇷 👍🏽 e\u{301}  \t tabs\r\nCRLF\n\n\n   spaces   ",
            "<think>\nLet me think.\n</think>\n<tool_calls>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_calls>",
            "func main() { let x = [1, 2, 3].map { $0 * 2 } }  // https://example.com/?q=1",
            String(repeating: "long ", count: 200) + String(repeating: "x", count: 500),
        ]
        for rule in [SplitRule.gpt4o, .gpt2] {
            let tokenizer = try m1(rule)
            for text in texts {
                let ids = try tokenizer.encode(text)
                XCTAssertTrue(ids.allSatisfy { $0 >= 0 && $0 < 200_000 })
                XCTAssertEqual(try tokenizer.decode(ids), text, "\(rule)")
                var stream = StreamingDetokenizer(tokenizer: tokenizer)
                var streamed = ""
                for id in ids { streamed += try stream.append(id) }
                streamed += try stream.finish()
                XCTAssertEqual(streamed, text)
            }
        }
    }

    func testLoadingIsFast() throws {
        guard let shared = TestSupport.sharedDirectory else { throw XCTSkip("../shared/minimax-m1 is absent") }
        let start = Date()
        _ = try Tokenizer.m1(mergesFile: shared.appendingPathComponent("minimax-m1/merges.txt"))
        let seconds = Date().timeIntervalSince(start)
        print("M1 vocabulary built in \(String(format: "%.3f", seconds)) s")
        // Generous: debug builds are several times slower than release (well under a second there).
        XCTAssertLessThan(seconds, 10)
    }
}
