import ChatFormat
import Foundation
import XCTest

/// Minimal reproducers of issue 13's chat inputs: sizes that used to be quadratic.
final class HostileChatTests: XCTestCase {
    /// 120,000 distinct keys: the duplicate-key check is a hash lookup now.
    func testObjectWithManyKeysParsesInLinearTime() throws {
        let count = 120_000
        let text = "{" + (0..<count).map { "\"k\($0)\": \($0)" }.joined(separator: ",") + ", \"k7\": \"last\"}"
        let start = Date()
        let value = try JSONParser.parse(text)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        guard case .object(let members) = value else { return XCTFail("not an object") }
        XCTAssertEqual(members.count, count)
        XCTAssertEqual(members[7], JSONMember("k7", .string("last")), "a duplicate keeps its first position and takes the last value")
    }

    /// 100,000 tool messages that each name their call by `tool_call_id`: found by hash.
    func testManyToolMessagesRenderInLinearTime() throws {
        var messages: [ChatMessage] = [ChatMessage(role: .assistant, content: .none, toolCalls: [
            ChatToolCall(id: "call_1", name: "first"), ChatToolCall(id: "call_2", name: "second"),
        ])]
        messages += Array(repeating: ChatMessage.tool(result: "r", toolCallID: "call_2"), count: 100_000)
        let start = Date()
        let text = try ChatTemplate.render(messages: messages)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertTrue(text.contains("tool name: second\ntool result: r"))
    }

    /// The latest assistant call with an id wins, and an unknown id is still an error naming the field.
    func testToolCallIDLookupKeepsItsRules() throws {
        let messages: [ChatMessage] = [
            ChatMessage(role: .assistant, content: .none, toolCalls: [ChatToolCall(id: "c", name: "old")]),
            ChatMessage(role: .assistant, content: .none, toolCalls: [ChatToolCall(id: "c", name: "new")]),
            .tool(result: "r", toolCallID: "c"),
        ]
        XCTAssertTrue(try ChatTemplate.render(messages: messages).contains("tool name: new\n"))
        XCTAssertThrowsError(try ChatTemplate.render(messages: [.tool(result: "r", toolCallID: "missing")])) { error in
            XCTAssertEqual((error as? ChatFormatError)?.field, "messages[0].tool_call_id")
        }
    }
}
