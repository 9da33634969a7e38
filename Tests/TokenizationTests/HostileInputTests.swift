import Foundation
import TestSupport
import XCTest
@testable import Tokenization

/// Minimal reproducers of the hostile tokenizer files of issue 13: typed errors naming file and
/// field, and no path that grows faster than the input.
final class HostileInputTests: XCTestCase {
    private func tokenizerJSON(_ overrides: [String: Any] = [:], vocabulary extra: [String: Int] = [:]) throws -> Data {
        var vocabulary: [String: Int] = [:]
        for (byte, scalar) in ByteLevelAlphabet.character.enumerated() { vocabulary[String(scalar)] = byte }
        vocabulary.merge(extra) { $1 }
        var root: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocabulary, "merges": [String]()],
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
            "decoder": ["type": "ByteLevel"],
        ]
        root.merge(overrides) { $1 }
        return try JSONSerialization.data(withJSONObject: root)
    }

    private func loadError(_ data: Data) -> TokenizerError? {
        do { _ = try Tokenizer(tokenizerJSON: data, source: "tokenizer.json"); return nil } catch { return error as? TokenizerError }
    }

    func testNegativeVocabularyIDIsAnErrorNotATrap() throws {
        let error = loadError(try tokenizerJSON(vocabulary: ["h": -2147483649]))
        guard case .invalidField(file: "tokenizer.json", field: #"model.vocab["h"]"#, let reason)? = error else {
            return XCTFail("\(String(describing: error))")
        }
        XCTAssertTrue(reason.contains("-2147483649"), reason)
    }

    func testDuplicateVocabularyIDsAreRefused() throws {
        let error = loadError(try tokenizerJSON(vocabulary: ["zz": 3]))
        guard case .invalidField(file: "tokenizer.json", _, let reason)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(reason.contains("ids must be unique"), reason)
    }

    func testAddedTokenIDsAreBounded() throws {
        for id in [-1, 1 << 40] {
            let error = loadError(try tokenizerJSON(["added_tokens": [["id": id, "content": "<x>", "special": true]]]))
            XCTAssertEqual(error.map { "\($0)" }?.contains("added_tokens[0].id"), true, "\(String(describing: error))")
        }
    }

    func testLegacyVocabularyWithNegativeIDNamesVocabJSON() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(#"{"a": 0, "b": -1, "ab": 2}"#.utf8).write(to: directory.appendingPathComponent("vocab.json"))
        try Data("a b\n".utf8).write(to: directory.appendingPathComponent("merges.txt"))
        XCTAssertThrowsError(try Tokenizer.load(directory: directory)) { error in
            XCTAssertEqual(error as? TokenizerError, .invalidField(file: "vocab.json", field: #""b""#, reason: "is -1, not an id in 0...16777215"))
        }
    }

    /// 100,000 added tokens (tokenizer.json and the legacy added_tokens.json) load and match in
    /// well under a second: lookups are by hash and a trie, not by list search.
    func testManyAddedTokensLoadInLinearTime() throws {
        let count = 100_000
        let tokens = (0..<count).map { ["id": 1000 + $0, "content": "<t\($0)>", "special": $0 % 2 == 0] as [String: Any] }
        let start = Date()
        let tokenizer = try Tokenizer(tokenizerJSON: try tokenizerJSON(["added_tokens": tokens]), source: "tokenizer.json")
        XCTAssertEqual(try tokenizer.encode("a<t99999>b<t5>"), [97, 100_999, 98, 1005])
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)

        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(#"{"a": 0, "b": 1, "ab": 2}"#.utf8).write(to: directory.appendingPathComponent("vocab.json"))
        try Data("a b\n".utf8).write(to: directory.appendingPathComponent("merges.txt"))
        let table = Dictionary(uniqueKeysWithValues: (0..<count).map { ("<a\($0)>", 10 + $0) })
        try JSONSerialization.data(withJSONObject: table).write(to: directory.appendingPathComponent("added_tokens.json"))
        let legacyStart = Date()
        let legacy = try Tokenizer.load(directory: directory)
        XCTAssertEqual(legacy.addedTokens.count, count)
        XCTAssertLessThan(Date().timeIntervalSince(legacyStart), 10)
    }

    /// `(.*)*(.*)*…x` backtracked forever in Swift's engine; ours stops at its step budget with
    /// an error naming the file, the field and the pattern.
    func testCatastrophicRegexFailsWithinItsBudget() throws {
        let pattern = "(.*)*(.*)*(.*)*(.*)*x"
        let tokenizer = try Tokenizer(tokenizerJSON: try tokenizerJSON([
            "pre_tokenizer": ["type": "Split", "pattern": ["Regex": pattern], "behavior": "Isolated"],
        ]), source: "tokenizer.json")
        let start = Date()
        XCTAssertThrowsError(try tokenizer.encode(String(repeating: "a", count: 64))) { error in
            guard case .regexBudgetExceeded(file: "tokenizer.json", field: "pre_tokenizer.pattern.Regex", pattern: pattern, _, _)? =
                    error as? TokenizerError else { return XCTFail("\(error)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    /// Ordinary patterns on the slow path still work on long text within the budget.
    func testSlowPathRegexHandlesLongText() throws {
        let pattern = #"\p{N}{1,2}|▁?\p{L}+|\s+|[^\s\p{L}\p{N}▁]+"#
        let regex = try ScalarRegex(pattern, file: "t", field: "f")
        let unit = Array("Hello world, 123 ▁ok! ".utf8)
        let perUnit = try unit.withUnsafeBufferPointer { try regex.matches(in: $0) }.count
        XCTAssertEqual(perUnit, 11)
        let text = Array([[UInt8]](repeating: unit, count: 5_000).joined())
        let matches = try text.withUnsafeBufferPointer { try regex.matches(in: $0) }
        XCTAssertEqual(matches.count, 5_000 * perUnit)
    }

    func testUnsupportedRegexConstructsAreNamed() {
        for (pattern, needle) in [("(?<=a)b", "lookbehind"), (#"\p{Han}"#, "Han"), ("x{5000}", "above 1000"), ("(a", "missing ')'")] {
            XCTAssertThrowsError(try ScalarRegex(pattern, file: "tokenizer.json", field: "pre_tokenizer.pattern.Regex")) { error in
                XCTAssertTrue("\(error)".contains(needle), "\(error)")
            }
        }
    }

    /// A chain of Replace normalizers that double the text each step is stopped at the growth bound.
    func testReplaceNormalizersCannotBlowUpTheText() throws {
        let step: [String: Any] = ["type": "Replace", "pattern": ["String": "a"], "content": "aa"]
        let tokenizer = try Tokenizer(tokenizerJSON: try tokenizerJSON([
            "normalizer": ["type": "Sequence", "normalizers": Array(repeating: step, count: 40)],
        ]), source: "tokenizer.json")
        XCTAssertThrowsError(try tokenizer.encode(String(repeating: "a", count: 100))) { error in
            guard case .normalizedTextTooLong? = error as? TokenizerError else { return XCTFail("\(error)") }
        }
    }
}
