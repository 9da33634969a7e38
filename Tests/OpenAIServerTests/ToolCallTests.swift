import Foundation
import Generation
import HummingbirdTesting
import OpenAIServer
import Serving
import XCTest

/// Tools in both forms reach the prompt exactly as the official template prints them, and a
/// `<tool_calls>` block in the output comes back as OpenAI `tool_calls`.
final class ToolCallTests: ServerTestCase {
    static let callText = "<tool_calls>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_calls>"
    static let openAITool = #"{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}"#
    static let bareTool = #"{"name": "get_weather", "description": "Weather in a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}"#

    override func setUp() {
        super.setUp()
        // Split inside the tags, as a tokenizer would.
        service = ScriptedService(.script(["<think>\nCall it.\n</think>\n", "<tool_", "calls>\n{\"name\": \"get_weather\", ",
                                           "\"arguments\": {\"city\": \"Paris\"}}\n</tool_calls>"]))
    }

    private static func request(tool: String, stream: Bool = false, extra: String = "") -> String {
        #"{"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": [\#(tool)], "stream": \#(stream)\#(extra)}"#
    }

    func testToolCallInBothForms() async throws {
        for tool in [Self.openAITool, Self.bareTool] {
            service = ScriptedService(.script([Self.callText]))
            let service = self.service
            try await withClient { client in
                let response = try await client.post("/v1/chat/completions", Self.request(tool: tool))
                XCTAssertEqual(response.status, .ok, response.text)
                let json = try response.json()
                XCTAssertEqual(dig(json, "choices", 0, "finish_reason") as? String, "tool_calls")
                XCTAssertTrue(dig(json, "choices", 0, "message", "content") is NSNull)
                let calls = try XCTUnwrap(dig(json, "choices", 0, "message", "tool_calls") as? [[String: Any]])
                XCTAssertEqual(calls.count, 1)
                XCTAssertTrue((calls[0]["id"] as? String)?.hasPrefix("call_") == true)
                XCTAssertGreaterThan((calls[0]["id"] as? String)?.count ?? 0, 10)
                XCTAssertEqual(calls[0]["type"] as? String, "function")
                XCTAssertEqual(dig(calls[0], "function", "name") as? String, "get_weather")
                let arguments = try XCTUnwrap(dig(calls[0], "function", "arguments") as? String)
                XCTAssertEqual(
                    try JSONSerialization.jsonObject(with: Data(arguments.utf8)) as? [String: String], ["city": "Paris"])
            }
            // The tool is printed as the template prints that very object (json.dumps, order kept).
            let prompt = try Self.tokenizer.decode(try XCTUnwrap(service.submitted.first).promptIDs)
            XCTAssertTrue(prompt.contains("<tools>\n\(tool)\n</tools>"), prompt)
        }
    }

    func testStreamedToolCallDeltas() async throws {
        try await withClient { client in
            let response = try await client.post("/v1/chat/completions", Self.request(tool: Self.bareTool, stream: true))
            XCTAssertEqual(response.events.last, "[DONE]")
            let chunks = try response.chunks()
            let calls = chunks.compactMap { dig($0, "choices", 0, "delta", "tool_calls") as? [[String: Any]] }.flatMap { $0 }
            XCTAssertEqual(calls.count, 1)
            XCTAssertEqual(calls[0]["index"] as? Int, 0)
            XCTAssertTrue((calls[0]["id"] as? String)?.hasPrefix("call_") == true)
            XCTAssertEqual(calls[0]["type"] as? String, "function")
            XCTAssertEqual(dig(calls[0], "function", "name") as? String, "get_weather")
            XCTAssertEqual(dig(calls[0], "function", "arguments") as? String, #"{"city": "Paris"}"#)
            let reasoning = chunks.compactMap { dig($0, "choices", 0, "delta", "reasoning_content") as? String }.joined()
            XCTAssertEqual(reasoning, "Call it.")
            let content = chunks.compactMap { dig($0, "choices", 0, "delta", "content") as? String }.joined()
            XCTAssertFalse(content.contains("tool_calls"), content)
            XCTAssertEqual(dig(chunks.last!, "choices", 0, "finish_reason") as? String, "tool_calls")
        }
    }

    func testSeveralCallsGetIndicesAndDistinctIDs() async throws {
        service = ScriptedService(.script([
            "<tool_calls>\n{\"name\": \"a\", \"arguments\": {}}\n{\"name\": \"b\", \"arguments\": {\"x\": 1}}\n</tool_calls>",
        ]))
        try await withClient { client in
            let chunks = try await client.post(
                "/v1/chat/completions", Self.request(tool: #"{"name": "a"}, {"name": "b"}"#, stream: true)
            ).chunks()
            let calls = chunks.compactMap { dig($0, "choices", 0, "delta", "tool_calls") as? [[String: Any]] }.flatMap { $0 }
            XCTAssertEqual(calls.compactMap { $0["index"] as? Int }, [0, 1])
            XCTAssertEqual(Set(calls.compactMap { $0["id"] as? String }).count, 2)
        }
    }

    /// The client sends the call and the tool's result back; both forms of tool message render.
    func testRoundTripConversationIsAccepted() async throws {
        service = ScriptedService(.script(["It is 21 degrees."]))
        let service = self.service
        try await withClient { client in
            let response = try await client.post("/v1/chat/completions", """
                {"messages": [
                  {"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}}]},
                  {"role": "tool", "tool_call_id": "call_abc", "content": "{\\"temp\\": 21}"}],
                 "tools": [\(Self.openAITool)]}
                """)
            XCTAssertEqual(response.status, .ok, response.text)
            XCTAssertEqual(dig(try response.json(), "choices", 0, "message", "content") as? String, "It is 21 degrees.")
        }
        let prompt = try Self.tokenizer.decode(try XCTUnwrap(service.submitted.first).promptIDs)
        XCTAssertTrue(prompt.contains("tool name: get_weather\ntool result: {\"temp\": 21}\n\n"), prompt)
    }

    func testToolChoiceNoneRendersNoToolsAndReturnsText() async throws {
        service = ScriptedService(.script([Self.callText]))
        let service = self.service
        try await withClient { client in
            let json = try await client.post(
                "/v1/chat/completions", Self.request(tool: Self.openAITool, extra: #", "tool_choice": "none""#)
            ).json()
            XCTAssertEqual(dig(json, "choices", 0, "finish_reason") as? String, "stop")
            XCTAssertNil(dig(json, "choices", 0, "message", "tool_calls"))
            let content = try XCTUnwrap(dig(json, "choices", 0, "message", "content") as? String)
            XCTAssertTrue(content.contains("get_weather"), content)
        }
        let prompt = try Self.tokenizer.decode(try XCTUnwrap(service.submitted.first).promptIDs)
        XCTAssertFalse(prompt.contains("<tools>"))
    }

    func testNamedToolChoiceRendersOnlyThatTool() async throws {
        let service = self.service
        try await withClient { client in
            let response = try await client.post("/v1/chat/completions", Self.request(
                tool: "\(Self.openAITool), {\"name\": \"other\"}",
                extra: #", "tool_choice": {"type": "function", "function": {"name": "other"}}"#))
            XCTAssertEqual(response.status, .ok, response.text)
            let required = try await client.post(
                "/v1/chat/completions", Self.request(tool: Self.openAITool, extra: #", "tool_choice": "required""#))
            XCTAssertEqual(required.status, .ok, required.text)
        }
        let prompt = try Self.tokenizer.decode(try XCTUnwrap(service.submitted.first).promptIDs)
        XCTAssertTrue(prompt.contains("<tools>\n{\"name\": \"other\"}\n</tools>"), prompt)
    }

    func testBadToolChoicesAre400() async throws {
        try await withClient { client in
            try await client.post("/v1/chat/completions", Self.request(
                tool: Self.openAITool, extra: #", "tool_choice": {"type": "function", "function": {"name": "nope"}}"#)
            ).assertError(.badRequest, param: "tool_choice.function.name")
            try await client.post(
                "/v1/chat/completions",
                #"{"messages": [{"role": "user", "content": "x"}], "tool_choice": "required"}"#
            ).assertError(.badRequest, param: "tool_choice")
            try await client.post("/v1/chat/completions", Self.request(tool: Self.openAITool, extra: #", "tool_choice": "always""#))
                .assertError(.badRequest, param: "tool_choice")
            try await client.post("/v1/chat/completions", Self.request(tool: Self.openAITool, extra: #", "tool_choice": 3"#))
                .assertError(.badRequest, param: "tool_choice")
            try await client.post("/v1/chat/completions", Self.request(tool: "\(Self.bareTool), \(Self.openAITool)"))
                .assertError(.badRequest, param: "tools[1].function.name")
        }
    }
}
