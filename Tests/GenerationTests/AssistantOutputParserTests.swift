import Generation
import XCTest

final class AssistantOutputParserTests: XCTestCase {
    private func parse(_ pieces: [String], startsInsideThinking: Bool = false) -> (ParsedOutput, [OutputDelta]) {
        var parser = AssistantOutputParser(startsInsideThinking: startsInsideThinking)
        var deltas = pieces.map { parser.feed($0) }
        deltas.append(parser.finish())
        return (parser.output, deltas)
    }

    private func parse(_ text: String, startsInsideThinking: Bool = false) -> ParsedOutput {
        parse([text], startsInsideThinking: startsInsideThinking).0
    }

    func testReasoningThenAnswer() {
        let output = parse("<think>\nThe user greets me.\nI greet back.\n</think>\nHello!\n")
        XCTAssertEqual(output.reasoning, "The user greets me.\nI greet back.")
        XCTAssertEqual(output.content, "Hello!")
        XCTAssertEqual(output.toolCalls, [])
    }

    func testOutputThatStartsInsideThinking() {
        let output = parse("still thinking\n</think>\n\nAnswer.", startsInsideThinking: true)
        XCTAssertEqual(output.reasoning, "still thinking")
        XCTAssertEqual(output.content, "Answer.")
        XCTAssertEqual(parse("no tags at all").content, "no tags at all")
        XCTAssertEqual(parse("cut off mid-thought", startsInsideThinking: true).reasoning, "cut off mid-thought")
    }

    func testToolCalls() {
        let text = """
            <think>
            I might use <tool_calls>
            {"name": "thought_only", "arguments": {}}
            </tool_calls> but not yet.
            </think>
            Let me check.
            <tool_calls>
            {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
            {"name":"search","arguments":{"z": [1, {"a": "}"}], "a": null}}
            not json
            {"name": "no_args"}
            {"name": 3, "arguments": {}}
            {"name": "stringly", "arguments": "{\\"q\\": 1}"}
            {"name": "bad_args", "arguments": [1]}
            </tool_calls>
            Done.
            """
        let output = parse(text)
        XCTAssertEqual(output.reasoning, """
            I might use <tool_calls>
            {"name": "thought_only", "arguments": {}}
            </tool_calls> but not yet.
            """)
        XCTAssertEqual(output.content, "Let me check.\n\nDone.")
        XCTAssertEqual(output.toolCalls, [
            ParsedToolCall(name: "get_weather", argumentsJSON: #"{"city": "Paris", "unit": "celsius"}"#),
            ParsedToolCall(name: "search", argumentsJSON: #"{"z": [1, {"a": "}"}], "a": null}"#),
            ParsedToolCall(name: "stringly", argumentsJSON: #"{"q": 1}"#),
        ])
        XCTAssertEqual(output.malformedToolCalls.map(\.line), [
            "not json", #"{"name": "no_args"}"#, #"{"name": 3, "arguments": {}}"#, #"{"name": "bad_args", "arguments": [1]}"#,
        ])
        XCTAssertEqual(output.malformedToolCalls.map(\.reason), [
            "not a JSON object", "missing \"arguments\"", "\"name\" must be a non-empty string",
            "\"arguments\" must be a JSON object",
        ])
    }

    func testUnterminatedBlocksAndPartialTagsAtTheEnd() {
        let unterminated = parse("<tool_calls>\n{\"name\": \"f\", \"arguments\": {}}\n{\"name\": \"g\", \"argu")
        XCTAssertEqual(unterminated.toolCalls, [ParsedToolCall(name: "f", argumentsJSON: "{}")])
        XCTAssertEqual(unterminated.malformedToolCalls.count, 1)
        XCTAssertEqual(parse("Answer <thi").content, "Answer <thi", "a tag that never completes is text")
        XCTAssertEqual(parse("<think>a</thi", startsInsideThinking: false).reasoning, "a</thi")
    }

    func testHostileToolCallLinesAreReportedNotCrashedOn() {
        let deep = String(repeating: "[", count: 50_000)
        let lines = ["{", "}", "{\"name\": \"f\", \"arguments\": {\"a\": \(deep)}}", "{\"name\": \"f\", \"arguments\": \"\(deep)\"}",
                     "{\"name\": \"f\", \"arguments\": {}} trailing", "\u{0}", "{\"name\": \"f\", \"arguments\": {},}"]
        let output = parse("<tool_calls>\n" + lines.joined(separator: "\n") + "\n</tool_calls>")
        XCTAssertEqual(output.toolCalls, [])
        XCTAssertEqual(output.malformedToolCalls.count, lines.count)
    }

    /// Every way of cutting the text into two or three pieces, and one scalar at a time, gives the
    /// same result as feeding it whole; no delta ever contains a piece of a tag.
    func testSplittingAnywhereGivesTheSameResult() {
        let samples: [(String, Bool)] = [
            ("<think>\nplan: call it\n</think>\nSure.\n<tool_calls>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n</tool_calls>\n", false),
            ("reasoning é😀</think>answer\n<tool_calls>\n{\"name\": \"g\", \"arguments\": {}}\nbad\n</tool_calls>tail", true),
            ("<think></think><tool_calls></tool_calls><think>x</think>y", false),
        ]
        for (text, inside) in samples {
            let whole = parse([text], startsInsideThinking: inside).0
            let scalars = Array(text.unicodeScalars)
            func pieces(_ cuts: [Int]) -> [String] {
                let bounds = [0] + cuts + [scalars.count]
                return (0..<bounds.count - 1).map { String(String.UnicodeScalarView(scalars[bounds[$0]..<bounds[$0 + 1]])) }
            }
            var splits: [[String]] = [scalars.map { String($0) }]
            for a in 0...scalars.count { splits.append(pieces([a])) }
            if scalars.count <= 60 {
                for a in 0...scalars.count { for b in a...scalars.count { splits.append(pieces([a, b])) } }
            }
            for split in splits {
                let (output, deltas) = parse(split, startsInsideThinking: inside)
                XCTAssertEqual(output, whole, "split \(split)")
                var joined = ParsedOutput()
                for delta in deltas {
                    joined.reasoning += delta.reasoning
                    joined.content += delta.content
                    joined.toolCalls += delta.toolCalls
                    joined.malformedToolCalls += delta.malformedToolCalls
                    XCTAssertFalse(delta.content.contains("<") || delta.reasoning.contains("<"), "tag piece in \(delta)")
                }
                XCTAssertEqual(joined, whole)
            }
        }
    }

    func testNothingIsEmittedAfterFinish() {
        var parser = AssistantOutputParser()
        _ = parser.feed("a")
        _ = parser.finish()
        XCTAssertTrue(parser.feed("b").isEmpty)
        XCTAssertTrue(parser.finish().isEmpty)
        XCTAssertEqual(parser.output.content, "a")
    }
}
