import ChatFormat
import Foundation
import Generation
import MiniMax
import TestSupport
import Tokenization
import Training
import XCTest

final class TrainingDataTests: XCTestCase {
    /// Bytes + M1's special tokens, as `minimax init --tokenizer byte` writes them.
    static func byteTokenizer() throws -> Tokenizer {
        let directory = try TestSupport.temporaryDirectory()
        try ByteTokenizerFiles.write(to: directory, vocabularySize: 262)
        return try Tokenizer.load(directory: directory)
    }

    func reader(maximumTokens: Int = 1000) throws -> TrainingExampleReader {
        TrainingExampleReader(tokenizer: try Self.byteTokenizer(), endOfText: 259, maximumTokens: maximumTokens)
    }

    func testPlainTextPredictsEveryTokenAndEndsWithEndOfText() throws {
        let example = try reader().example(fromLine: Data(#"{"text": "ab"}"#.utf8), path: "d.jsonl", line: 1)
        XCTAssertEqual(example.tokens, [97, 98, 259])
        XCTAssertEqual(example.mask, [true, true, true])
    }

    func testChatLearnsOnlyTheAssistantTurns() throws {
        let line = #"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}, {"role": "user", "content": "again"}, {"role": "assistant", "content": "ok"}]}"#
        let tokenizer = try Self.byteTokenizer()
        let example = try reader().example(fromLine: Data(line.utf8), path: "d.jsonl", line: 3)
        // The learned tokens, decoded, are exactly the two answers with their end-of-turn marker.
        let learned = zip(example.tokens, example.mask).filter { $0.1 }.map { $0.0 }
        XCTAssertEqual(try tokenizer.decode(learned), "yo<end_of_sentence>ok<end_of_sentence>")
        let rendered = try ChatTemplate.render(messages: try ChatMessage.decodeList(from: Data(line.utf8)), addGenerationPrompt: false)
        XCTAssertEqual(try tokenizer.decode(example.tokens), rendered, "the example is the whole rendered conversation")
    }

    func testBadLinesAreNamedWithTheirLineNumber() throws {
        let r = try reader(maximumTokens: 40)
        let cases: [(String, Data)] = [
            ("invalid JSON", Data(#"{"text": "#.utf8)),
            ("not a JSON object", Data("[1, 2]".utf8)),
            ("no \"text\" or \"messages\" field", Data(#"{"prompt": "x"}"#.utf8)),
            ("field \"text\" is empty", Data(#"{"text": ""}"#.utf8)),
            ("field \"text\" is not a string", Data(#"{"text": 5}"#.utf8)),
            ("more than the limit of 40", Data(#"{"text": "a much longer line, longer than forty tokens in all"}"#.utf8)),
            ("not valid UTF-8", Data([0x7B, 0x22, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D])),
            ("no assistant turn", Data(#"{"messages": [{"role": "user", "content": "hi"}]}"#.utf8)),
            ("messages[0].role", Data(#"{"messages": [{"content": "hi"}]}"#.utf8)),
        ]
        for (reason, line) in cases {
            XCTAssertThrowsError(try r.example(fromLine: line, path: "data.jsonl", line: 7), reason) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("data.jsonl:7: "), message)
                XCTAssertTrue(message.contains(reason), "\(message) should say \(reason)")
            }
        }
    }

    func testCorpusSkipsOrFailsOnBadLinesAndPacksWindows() throws {
        let directory = try TestSupport.temporaryDirectory()
        let file = directory.appendingPathComponent("data.jsonl")
        try Data("{\"text\": \"abcd\"}\n\nnot json\n{\"text\": \"efgh\"}\n".utf8).write(to: file)
        var reported: [Int] = []
        let corpus = try TrainingCorpus.read(path: file.path, reader: reader(), policy: .skip) { reported.append($0.line) }
        XCTAssertEqual(reported, [3])
        XCTAssertEqual(corpus.exampleCount, 2)
        XCTAssertEqual(corpus.tokens, [97, 98, 99, 100, 259, 101, 102, 103, 104, 259])
        XCTAssertEqual(corpus.windowCount(length: 4), 2)
        let window = corpus.window(1, length: 4)
        XCTAssertEqual(window.inputs, [259, 101, 102, 103])
        XCTAssertEqual(window.targets, [101, 102, 103, 104])
        XCTAssertThrowsError(try TrainingCorpus.read(path: file.path, reader: reader(), policy: .fail)) { error in
            XCTAssertEqual((error as? BadDataLine)?.line, 3)
        }
        XCTAssertThrowsError(try TrainingCorpus.read(path: directory.appendingPathComponent("gone.jsonl").path, reader: reader(), policy: .skip)) { error in
            XCTAssertTrue("\(error)".contains("gone.jsonl: cannot read"), "\(error)")
        }
    }
}

