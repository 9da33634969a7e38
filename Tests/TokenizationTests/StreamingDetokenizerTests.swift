import Foundation
import XCTest
@testable import Tokenization

/// The streaming detokenizer never releases half a UTF-8 character.
final class StreamingDetokenizerTests: XCTestCase {
    /// Bytes only, no merges: every multi-byte character is split across tokens.
    private func byteTokenizer() throws -> Tokenizer {
        var vocabulary: [String: Int] = [:]
        for (byte, scalar) in ByteLevelAlphabet.character.enumerated() { vocabulary[String(scalar)] = byte }
        let json: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocabulary, "merges": [String]()],
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
            "decoder": ["type": "ByteLevel"],
            "added_tokens": [["id": 256, "content": "<eos>", "special": true]],
        ]
        return try Tokenizer(tokenizerJSON: try JSONSerialization.data(withJSONObject: json), source: "test")
    }

    func testHoldsIncompleteCharacters() throws {
        let tokenizer = try byteTokenizer()
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        let text = "aé😀b"
        let ids = try tokenizer.encode(text)
        XCTAssertEqual(ids, Array(text.utf8).map(Int.init))
        let pieces = try ids.map { try stream.append($0) }
        XCTAssertEqual(pieces, ["a", "", "é", "", "", "", "😀", "b"])
        XCTAssertEqual(try stream.finish(), "")
    }

    func testFinishFlushesDanglingBytesAsReplacementCharacter() throws {
        let tokenizer = try byteTokenizer()
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        let ids = Array("x😀".utf8.dropLast()).map(Int.init)
        let released = try ids.map { try stream.append($0) }.joined()
        XCTAssertEqual(released, "x")
        XCTAssertEqual(try stream.finish(), "\u{FFFD}")
        XCTAssertEqual(try tokenizer.decode(ids), "x\u{FFFD}")
    }

    func testInvalidByteIsReleasedOnceFollowedByText() throws {
        let tokenizer = try byteTokenizer()
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        var text = ""
        for id in [0xFF, 0x61, 0x62] { text += try stream.append(id) }
        text += try stream.finish()
        XCTAssertEqual(text, try tokenizer.decode([0xFF, 0x61, 0x62]))
    }

    func testSpecialTokensAndUnknownIDs() throws {
        let tokenizer = try byteTokenizer()
        var keeping = StreamingDetokenizer(tokenizer: tokenizer)
        XCTAssertEqual(try keeping.append(0x61), "a")
        XCTAssertEqual(try keeping.append(256), "<eos>")
        var skipping = StreamingDetokenizer(tokenizer: tokenizer, skipSpecialTokens: true)
        XCTAssertEqual(try skipping.append(256), "")
        XCTAssertEqual(try skipping.append(0x61), "a")
        XCTAssertThrowsError(try skipping.append(10_000))
    }
}
