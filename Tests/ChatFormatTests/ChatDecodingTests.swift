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
        XCTAssertEqual(toolsError(#"[{"type": "retrieval", "function": {"name": "f"}}]"#)?.field, "tools[0].type")
        XCTAssertEqual(toolsError(#"[{"type": "function", "function": {"name": ""}}]"#)?.field, "tools[0].function.name")
        XCTAssertEqual(
            toolsError(#"[{"function": {"name": "f", "parameters": "x"}}]"#)?.field, "tools[0].function.parameters")
        XCTAssertEqual(
            toolsError(#"[{"function": {"name": "f", "parameters": {"properties": []}}}]"#)?.field,
            "tools[0].function.parameters.properties")
        XCTAssertEqual(
            toolsError(#"[{"function": {"name": "f", "parameters": {"required": ["a", 2]}}}]"#)?.field,
            "tools[0].function.parameters.required[1]")
        XCTAssertEqual(toolsError(#"[{"function": {"name": "f", "description": 3}}]"#)?.field, "tools[0].function.description")
    }

    /// The bare `{"name", "description", "parameters"}` of the M1 function-call guide is kept as
    /// written (the template prints it verbatim) and validated like the OpenAI form's `function`.
    func testBareToolFormIsAcceptedAndKeptVerbatim() throws {
        let text = #"[{"name": "get_weather", "description": "Weather.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]"#
        let tools = try ChatTool.decodeList(from: Data(text.utf8))
        XCTAssertEqual(tools.count, 1)
        XCTAssertTrue(tools[0].isBare)
        XCTAssertEqual(tools[0].name, "get_weather")
        XCTAssertEqual(tools[0].json, try JSONParser.parse(text).arrayElement(0))
        XCTAssertFalse(ChatTool(name: "f").isBare)
        XCTAssertEqual(ChatTool(name: "f").name, "f")

        XCTAssertEqual(toolsError(#"[{"name": 7}]"#)?.field, "tools[0].name")
        XCTAssertEqual(toolsError(#"[{"name": "f", "parameters": [1]}]"#)?.field, "tools[0].parameters")
        XCTAssertEqual(toolsError(#"[{"name": "f", "parameters": {"type": 1}}]"#)?.field, "tools[0].parameters.type")
        XCTAssertEqual(toolsError(#"[{"description": "no name"}]"#)?.field, "tools[0].function")
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

extension JSONValue {
    fileprivate func arrayElement(_ i: Int) -> JSONValue? {
        guard case .array(let elements) = self, i < elements.count else { return nil }
        return elements[i]
    }
}
