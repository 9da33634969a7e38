import ChatFormat
import Foundation
import XCTest

final class ChatTemplateBehaviourTests: XCTestCase {
    func testPlainStringEqualsSingleTextPart() throws {
        let plain = [ChatMessage.system("S"), .user("U"), .assistant("A")]
        let parts = plain.map { message -> ChatMessage in
            guard case .text(let text) = message.content else { return message }
            return ChatMessage(role: message.role, content: .parts([ContentPart(text: text)]))
        }
        XCTAssertEqual(try ChatTemplate.render(messages: plain), try ChatTemplate.render(messages: parts))
    }

    func testMinimalConversation() throws {
        XCTAssertEqual(
            try ChatTemplate.render(messages: [.user("Hi")]),
            "<begin_of_document><beginning_of_sentence>user name=user\nHi<end_of_sentence>\n"
                + "<beginning_of_sentence>ai name=assistant\n")
        XCTAssertEqual(
            try ChatTemplate.render(messages: [.user("Hi")], addGenerationPrompt: false),
            "<begin_of_document><beginning_of_sentence>user name=user\nHi<end_of_sentence>\n")
    }

    func testToolResultNameComesFromTheMatchingCall() throws {
        let messages: [ChatMessage] = [
            .user("q"),
            .assistant("", toolCalls: [ChatToolCall(id: "a", name: "first"), ChatToolCall(id: "b", name: "second")]),
            .tool(result: "r", toolCallID: "b"),
        ]
        let rendered = try ChatTemplate.render(messages: messages)
        XCTAssertTrue(rendered.contains("tool name: second\ntool result: r\n\n<end_of_sentence>"))
    }

    func testConvenienceToolKeepsOpenAIOrder() throws {
        let tool = ChatTool(
            name: "f", description: "d",
            parameters: .object([JSONMember("type", .string("object")), JSONMember("properties", .object([]))]))
        XCTAssertEqual(
            PythonJSON.dumps(tool.json),
            #"{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}}}"#)
    }

    func testRenderErrorsNameTheField() {
        func field(_ messages: [ChatMessage]) -> String? {
            do {
                _ = try ChatTemplate.render(messages: messages)
                return nil
            } catch let error as ChatFormatError {
                return error.field
            } catch {
                return "unexpected \(error)"
            }
        }
        XCTAssertEqual(field([.user("a"), ChatMessage(role: .user, content: .none)]), "messages[1].content")
        XCTAssertEqual(field([ChatMessage(role: .system, content: .parts([]))]), "messages[0].content")
        XCTAssertEqual(
            field([ChatMessage(role: .user, content: .parts([ContentPart(type: "image_url", text: nil)]))]),
            "messages[0].content[0].text")
        XCTAssertEqual(field([.user("q"), .tool(result: "r")]), "messages[1].name")
        XCTAssertEqual(field([.user("q"), .tool(result: "r", toolCallID: "zz")]), "messages[1].tool_call_id")
        XCTAssertEqual(
            field([ChatMessage(role: .tool, content: .parts([ContentPart(text: "r")]))]), "messages[0].content[0].name")
        XCTAssertNil(field([ChatMessage(role: .assistant, content: .none)]))
    }
}
