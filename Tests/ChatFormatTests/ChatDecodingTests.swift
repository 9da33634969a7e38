import ChatFormat
import Foundation
import XCTest

final class ChatDecodingTests: XCTestCase {
    private func messagesError(_ json: String) -> ChatFormatError? {
        do {
            _ = try ChatMessage.decodeList(from: Data(json.utf8))
            return nil
        } catch let error as ChatFormatError {
            return error
        } catch {
            XCTFail("untyped error \(error)")
            return nil
        }
    }

    private func toolsError(_ json: String) -> ChatFormatError? {
        do {
            _ = try ChatTool.decodeList(from: Data(json.utf8))
            return nil
        } catch let error as ChatFormatError {
            return error
        } catch {
            XCTFail("untyped error \(error)")
            return nil
        }
    }

    func testDecodesOpenAIMessages() throws {
        let json = #"""
            {"messages": [
              {"role": "system", "content": "s"},
              {"role": "user", "content": [{"type": "text", "text": "u"}]},
              {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}}]},
              {"role": "tool", "tool_call_id": "c1", "content": "42"}
            ]}
            """#
        let messages = try ChatMessage.decodeList(from: Data(json.utf8))
        XCTAssertEqual(messages.map(\.role), [.system, .user, .assistant, .tool])
        XCTAssertEqual(messages[0].content, .text("s"))
        XCTAssertEqual(messages[1].content, .parts([ContentPart(type: "text", text: "u")]))
        XCTAssertEqual(messages[2].content, .none)
        XCTAssertEqual(messages[2].toolCalls, [ChatToolCall(id: "c1", name: "f", arguments: .string(#"{"x": 1}"#))])
        XCTAssertEqual(messages[3].toolCallID, "c1")
    }

    func testMalformedMessagesNameTheField() {
        XCTAssertEqual(messagesError(#"[{"role": "user", "content": "a"}, {"content": "b"}]"#)?.field, "messages[1].role")
        XCTAssertEqual(
            messagesError(#"[{"role": "user", "content": "a"}, {"role": "user"}, {"role": "robot", "content": "x"}]"#)?.field,
            "messages[2].role")
        XCTAssertEqual(messagesError(#"[{"role": 3, "content": "a"}]"#)?.field, "messages[0].role")
        XCTAssertEqual(messagesError(#"[{"role": "user", "content": 7}]"#)?.field, "messages[0].content")
        XCTAssertEqual(messagesError(#"[{"role": "user", "content": ["hi"]}]"#)?.field, "messages[0].content[0]")
        XCTAssertEqual(
            messagesError(#"[{"role": "user", "content": [{"type": "text", "text": null}]}]"#)?.field,
            "messages[0].content[0].text")
        XCTAssertEqual(messagesError(#"["hello"]"#)?.field, "messages[0]")
        XCTAssertEqual(messagesError(#"{"messages": 5}"#)?.field, "messages")
        XCTAssertEqual(messagesError(#"{"prompt": []}"#)?.field, "messages")
        XCTAssertEqual(
            messagesError(#"[{"role": "assistant", "content": "", "tool_calls": [{"function": {"arguments": {}}}]}]"#)?.field,
            "messages[0].tool_calls[0].function.name")
        XCTAssertEqual(
            messagesError(#"[{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": 3}}]}]"#)?.field,
            "messages[0].tool_calls[0].function.arguments")
        XCTAssertEqual(messagesError(#"[{"role": "tool", "content": "x", "tool_call_id": 9}]"#)?.field, "messages[0].tool_call_id")
    }

    func testMalformedToolsNameTheField() {
        XCTAssertEqual(toolsError(#"[{"type": "function", "function": {"name": "f"}}, 3]"#)?.field, "tools[1]")
        XCTAssertEqual(toolsError(#"[{"type": "function"}]"#)?.field, "tools[0].function")
        XCTAssertEqual(toolsError(#"[{"type": "function", "function": {"name": 1}}]"#)?.field, "tools[0].function.name")
        XCTAssertNil(toolsError("null"))
    }

    func testInvalidJSONIsATypedErrorNotACrash() {
        for text in ["", "[", "[{]", "{\"a\" 1}", "[1,]", "\"\\x\"", "[01]", "[1.]", "[\"\u{01}\"]", "tru",
                     String(repeating: "[", count: 100_000)] {
            guard case .invalidJSON? = messagesError(text) else {
                XCTFail("expected invalidJSON for \(text.prefix(20))")
                continue
            }
        }
        XCTAssertNil(try? ChatMessage.decodeList(from: Data([0x5B, 0x22, 0xFF, 0x22, 0x5D])))
    }
}
