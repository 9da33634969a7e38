import Foundation
import TestSupport
import XCTest
@testable import Tokenization

/// Bad files and bad input become typed errors that name the file and field; nothing traps.
final class ErrorTests: XCTestCase {
    /// A minimal byte-level tokenizer.json with `overrides` merged into the top level.
    private func tokenizerJSON(_ overrides: [String: Any] = [:], model: [String: Any] = [:]) throws -> Data {
        var vocabulary: [String: Int] = [:]
        for (byte, scalar) in ByteLevelAlphabet.character.enumerated() { vocabulary[String(scalar)] = byte }
        vocabulary["ab"] = 256
        var modelObject: [String: Any] = ["type": "BPE", "vocab": vocabulary, "merges": ["a b"]]
        modelObject.merge(model) { $1 }
        var root: [String: Any] = [
            "model": modelObject,
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
            "decoder": ["type": "ByteLevel"],
        ]
        root.merge(overrides) { $1 }
        return try JSONSerialization.data(withJSONObject: root)
    }

    private func loadError(_ data: Data, file: String = "tokenizer.json") -> TokenizerError? {
        do {
            _ = try Tokenizer(tokenizerJSON: data, source: file)
            return nil
        } catch {
            return error as? TokenizerError
        }
    }

    func testMinimalTokenizerWorks() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try tokenizerJSON(), source: "tokenizer.json")
        XCTAssertEqual(try tokenizer.encode("ab a"), [256, 32, 97])
        XCTAssertEqual(try tokenizer.decode([256, 32, 97]), "ab a")
    }

    func testUnsupportedComponentsNameFileAndField() throws {
        let error = loadError(try tokenizerJSON(["pre_tokenizer": ["type": "Metaspace"]]))
        XCTAssertEqual(error, .unsupportedComponent(file: "tokenizer.json", field: "pre_tokenizer.type", type: "Metaspace"))
        XCTAssertEqual(error?.description, #"tokenizer.json: pre_tokenizer.type "Metaspace" is not supported"#)

        let nested = loadError(try tokenizerJSON(["pre_tokenizer": ["type": "Sequence", "pretokenizers": [
            ["type": "Digits", "individual_digits": true], ["type": "Whitespace"]]]]))
        XCTAssertEqual(nested, .unsupportedComponent(file: "tokenizer.json", field: "pre_tokenizer.pretokenizers[1].type", type: "Whitespace"))

        XCTAssertEqual(loadError(try tokenizerJSON(["normalizer": ["type": "BertNormalizer"]])),
                       .unsupportedComponent(file: "tokenizer.json", field: "normalizer.type", type: "BertNormalizer"))
        XCTAssertEqual(loadError(try tokenizerJSON(["decoder": ["type": "WordPiece"]])),
                       .unsupportedComponent(file: "tokenizer.json", field: "decoder.type", type: "WordPiece"))
        XCTAssertEqual(loadError(try tokenizerJSON(["post_processor": ["type": "Mystery"]])),
                       .unsupportedComponent(file: "tokenizer.json", field: "post_processor.type", type: "Mystery"))
        XCTAssertEqual(loadError(try tokenizerJSON(model: ["type": "WordPiece"])),
                       .unsupportedComponent(file: "tokenizer.json", field: "model.type", type: "WordPiece"))
        XCTAssertEqual(loadError(try tokenizerJSON(["pre_tokenizer": ["type": "Split", "pattern": ["String": " "], "behavior": "Sideways"]])),
                       .unsupportedComponent(file: "tokenizer.json", field: "pre_tokenizer.behavior", type: "Sideways"))
    }

    func testMalformedJSON() {
        XCTAssertNil(loadError(Data("{".utf8)).flatMap { if case .malformedJSON(file: "tokenizer.json", _) = $0 { return nil } else { return $0 } })
        XCTAssertNotNil(loadError(Data("{".utf8)))
        XCTAssertEqual(loadError(Data("[1, 2]".utf8)), .malformedJSON(file: "tokenizer.json", reason: "the top level is not an object"))
        XCTAssertNotNil(loadError(Data([0x7B, 0xFF, 0xFE, 0x7D])))
        XCTAssertNotNil(loadError(Data()))
    }

    func testMissingAndMistypedFields() throws {
        XCTAssertEqual(loadError(try JSONSerialization.data(withJSONObject: ["decoder": ["type": "ByteLevel"]])),
                       .missingField(file: "tokenizer.json", field: "model"))
        XCTAssertEqual(loadError(try tokenizerJSON(model: ["vocab": [1, 2]])),
                       .invalidField(file: "tokenizer.json", field: "model.vocab", reason: "is not an object"))
        XCTAssertEqual(loadError(try tokenizerJSON(model: ["vocab": ["a": "zero"]])),
                       .invalidField(file: "tokenizer.json", field: "model.vocab.a", reason: "is not an integer"))
        XCTAssertEqual(loadError(try tokenizerJSON(["pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": "yes"]])),
                       .invalidField(file: "tokenizer.json", field: "pre_tokenizer.add_prefix_space", reason: "is not true or false"))
        XCTAssertEqual(loadError(try tokenizerJSON(["added_tokens": [["content": "<x>"]]])),
                       .missingField(file: "tokenizer.json", field: "added_tokens[0].id"))
        XCTAssertEqual(loadError(try tokenizerJSON(model: ["vocab": ["a": 1 << 40]])),
                       .invalidField(file: "tokenizer.json", field: #"model.vocab["a"]"#, reason: "is 1099511627776, not an id in 0...16777215"))
        XCTAssertEqual(loadError(try tokenizerJSON(model: ["unk_token": "<unk>"])),
                       .invalidField(file: "tokenizer.json", field: "model.unk_token", reason: "\"<unk>\" is not in the vocabulary"))
    }

    func testBadMerges() throws {
        XCTAssertEqual(loadError(try tokenizerJSON(model: ["merges": ["a b", "a zz"]])),
                       .unknownMergeToken(file: "tokenizer.json", merge: 1, token: "zz"))
        XCTAssertEqual(loadError(try tokenizerJSON(model: ["merges": [["b", "a"]]])),
                       .unknownMergeToken(file: "tokenizer.json", merge: 0, token: "ba"))
        XCTAssertEqual(loadError(try tokenizerJSON(model: ["merges": ["a b c"]])),
                       .malformedMerge(file: "tokenizer.json", merge: 0, text: "a b c"))
        XCTAssertNotNil(loadError(try tokenizerJSON(model: ["merges": [42]])))
        XCTAssertEqual(TokenizerError.unknownMergeToken(file: "merges.txt", merge: 3, token: "zz").description,
                       #"merges.txt: merge 3 names token "zz", which is not in the vocabulary"#)
    }

    func testInvalidRegex() throws {
        let error = loadError(try tokenizerJSON(["pre_tokenizer": ["type": "Split", "pattern": ["Regex": "(unclosed"], "behavior": "Isolated"]]))
        guard case .invalidRegex(file: "tokenizer.json", field: "pre_tokenizer.pattern.Regex", pattern: "(unclosed", _) = error else {
            return XCTFail("got \(String(describing: error))")
        }
    }

    func testInvalidInputAndIDs() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try tokenizerJSON(), source: "tokenizer.json")
        XCTAssertThrowsError(try tokenizer.encode(utf8: [0x61, 0x62, 0xFF, 0x63])) { error in
            XCTAssertEqual(error as? TokenizerError, .invalidUTF8(byteOffset: 2))
        }
        XCTAssertThrowsError(try tokenizer.encode(utf8: [0x61, 0xE4, 0xB8])) { error in
            XCTAssertEqual(error as? TokenizerError, .invalidUTF8(byteOffset: 1))
        }
        XCTAssertEqual(try tokenizer.encode(utf8: Array("ab".utf8)), [256])
        XCTAssertThrowsError(try tokenizer.decode([97, 999])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownTokenID(999))
        }
        XCTAssertThrowsError(try tokenizer.decode([-1]))
        XCTAssertEqual(try tokenizer.encode(""), [])
        XCTAssertEqual(try tokenizer.decode([]), "")
    }

    func testDirectoryErrors() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try Tokenizer.load(directory: directory)) { error in
            XCTAssertEqual(error as? TokenizerError, .noTokenizerFiles(directory: directory.path))
        }
        try Data(#"{"a": 0, "b": 1}"#.utf8).write(to: directory.appendingPathComponent("vocab.json"))
        try Data("#version: 0.2\na b\n".utf8).write(to: directory.appendingPathComponent("merges.txt"))
        XCTAssertThrowsError(try Tokenizer.load(directory: directory)) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownMergeToken(file: "merges.txt", merge: 0, token: "ab"))
        }
        try Data("#version: 0.2\nab\n".utf8).write(to: directory.appendingPathComponent("merges.txt"))
        XCTAssertThrowsError(try Tokenizer.load(directory: directory)) { error in
            XCTAssertEqual(error as? TokenizerError, .malformedMerge(file: "merges.txt", merge: 0, text: "ab"))
        }
        try Data("not json".utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        XCTAssertThrowsError(try Tokenizer.load(directory: directory)) { error in
            guard case .malformedJSON(file: "tokenizer.json", _)? = error as? TokenizerError else { return XCTFail("\(error)") }
        }
        let merges = directory.appendingPathComponent("m1-merges.txt")
        try Data("#version: 0.2\nĠ t\nĠt zz\n".utf8).write(to: merges)
        XCTAssertThrowsError(try Tokenizer.m1(mergesFile: merges)) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownMergeToken(file: "m1-merges.txt", merge: 1, token: "zz"))
        }
        XCTAssertThrowsError(try Tokenizer.m1(mergesFile: directory.appendingPathComponent("absent.txt"))) { error in
            guard case .unreadableFile(file: "absent.txt", _)? = error as? TokenizerError else { return XCTFail("\(error)") }
        }
    }
}
