import XCTest
@testable import Tokenization

/// Encode and decode must equal the Rust `tokenizers` library exactly on every corpus case.
final class GoldenTests: XCTestCase {
    func testEncodeMatchesTokenizersLibrary() throws {
        for name in GoldenFixture.names {
            let fixture = try GoldenFixture(name)
            let tokenizer = try fixture.tokenizer()
            var failures = 0
            for (index, golden) in fixture.cases.enumerated() {
                let ids = try tokenizer.encode(golden.text)
                if ids != golden.ids, failures < 5 {
                    failures += 1
                    XCTFail("\(name) case \(index) \(golden.text.debugDescription.prefix(120)):\n got \(ids.prefix(40))\nwant \(golden.ids.prefix(40))")
                }
                let withSpecial = try tokenizer.encode(golden.text, addSpecialTokens: true)
                XCTAssertEqual(withSpecial, golden.ids_with_special ?? golden.ids, "\(name) case \(index) with special tokens")
            }
        }
    }

    func testDecodeMatchesTokenizersLibrary() throws {
        for name in GoldenFixture.names {
            let fixture = try GoldenFixture(name)
            let tokenizer = try fixture.tokenizer()
            for (index, golden) in fixture.cases.enumerated() {
                XCTAssertEqual(try tokenizer.decode(golden.ids), golden.decoded, "\(name) case \(index)")
                XCTAssertEqual(try tokenizer.decode(golden.ids, skipSpecialTokens: true),
                               golden.decoded_skipping_special ?? golden.decoded, "\(name) case \(index) skipping special")
            }
        }
    }

    func testRoundTripIsLosslessForByteLevelPipelines() throws {
        for name in GoldenFixture.lossless.sorted() {
            let fixture = try GoldenFixture(name)
            let tokenizer = try fixture.tokenizer()
            for golden in fixture.cases {
                XCTAssertEqual(try tokenizer.decode(tokenizer.encode(golden.text)), golden.text, name)
            }
        }
    }

    func testStreamingEqualsFullDecodeOneIDAtATime() throws {
        for name in GoldenFixture.names {
            let fixture = try GoldenFixture(name)
            let tokenizer = try fixture.tokenizer()
            for skip in [false, true] {
                for (index, golden) in fixture.cases.enumerated() {
                    var stream = StreamingDetokenizer(tokenizer: tokenizer, skipSpecialTokens: skip)
                    var text = ""
                    for id in golden.ids {
                        let piece = try stream.append(id)
                        XCTAssertFalse(piece.hasSuffix("\u{FFFD}") && !golden.text.contains("\u{FFFD}"), "\(name) case \(index) emitted a partial character")
                        text += piece
                    }
                    text += try stream.finish()
                    XCTAssertEqual(text, try tokenizer.decode(golden.ids, skipSpecialTokens: skip), "\(name) case \(index) skip \(skip)")
                }
            }
        }
    }

    func testVocabularyLookups() throws {
        let tokenizer = try GoldenFixture("added_tokens").tokenizer()
        let bos = try XCTUnwrap(tokenizer.id(of: "<beginning_of_sentence>"))
        XCTAssertEqual(tokenizer.token(of: bos), "<beginning_of_sentence>")
        XCTAssertTrue(tokenizer.specialTokenIDs.contains(bos))
        let think = try XCTUnwrap(tokenizer.id(of: "<think>"))
        XCTAssertFalse(tokenizer.specialTokenIDs.contains(think))
        XCTAssertEqual(tokenizer.id(of: "Ġ"), tokenizer.id(of: "Ġ"))
        XCTAssertNotNil(tokenizer.id(of: "Ġ"))
        XCTAssertNil(tokenizer.token(of: -1))
        XCTAssertNil(tokenizer.token(of: tokenizer.vocabularySize))
        XCTAssertGreaterThan(tokenizer.vocabularySize, think)
    }
}
