import Foundation
import Hummingbird
import HummingbirdTesting
import OpenAIServer
import Serving
import XCTest

/// Hostile or careless requests: every one a 4xx with an OpenAI error object naming the field,
/// and the server still serves afterwards.
final class AbuseTests: ServerTestCase {
    static let user = #"[{"role": "user", "content": "Hi"}]"#

    /// (path, body, status, param that the error must name, or nil).
    static let badRequests: [(String, String, HTTPResponse.Status, String?)] = [
        ("/v1/chat/completions", "{", .badRequest, nil),
        ("/v1/chat/completions", "", .badRequest, nil),
        ("/v1/chat/completions", "[1, 2]", .badRequest, nil),
        ("/v1/chat/completions", #"{"messages": "Hi"}"#, .badRequest, "messages"),
        ("/v1/chat/completions", #"{"messages": []}"#, .badRequest, "messages"),
        ("/v1/chat/completions", #"{}"#, .badRequest, "messages"),
        ("/v1/chat/completions", #"{"messages": [{"role": "wizard", "content": "x"}]}"#, .badRequest, "messages[0].role"),
        ("/v1/chat/completions", #"{"messages": [{"content": "x"}]}"#, .badRequest, "messages[0].role"),
        ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": 5}]}"#, .badRequest, "messages[0].content"),
        ("/v1/chat/completions", #"{"messages": [{"role": "user"}]}"#, .badRequest, "messages[0].content"),
        ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]}"#, .badRequest, "messages[0].content[0].text"),
        ("/v1/chat/completions", #"{"messages": [{"role": "tool", "content": "x", "tool_call_id": "nope"}]}"#, .badRequest, "messages[0].tool_call_id"),
        ("/v1/chat/completions", #"{"model": "gpt-4", "messages": \#(user)}"#, .notFound, "model"),
        ("/v1/chat/completions", #"{"model": 4, "messages": \#(user)}"#, .badRequest, "model"),
        ("/v1/chat/completions", #"{"messages": \#(user), "max_tokens": -1}"#, .badRequest, "max_tokens"),
        ("/v1/chat/completions", #"{"messages": \#(user), "max_tokens": 0}"#, .badRequest, "max_tokens"),
        ("/v1/chat/completions", #"{"messages": \#(user), "max_tokens": 1000000000}"#, .badRequest, "max_tokens"),
        ("/v1/chat/completions", #"{"messages": \#(user), "max_tokens": 1e400}"#, .badRequest, "max_tokens"),
        ("/v1/chat/completions", #"{"messages": \#(user), "max_tokens": 99999999999999999999999}"#, .badRequest, "max_tokens"),
        ("/v1/chat/completions", #"{"messages": \#(user), "max_tokens": "10"}"#, .badRequest, "max_tokens"),
        ("/v1/chat/completions", #"{"messages": \#(user), "max_tokens": 1.5}"#, .badRequest, "max_tokens"),
        ("/v1/chat/completions", #"{"messages": \#(user), "max_completion_tokens": -5}"#, .badRequest, "max_completion_tokens"),
        ("/v1/chat/completions", #"{"messages": \#(user), "temperature": -1}"#, .badRequest, "temperature"),
        ("/v1/chat/completions", #"{"messages": \#(user), "temperature": "hot"}"#, .badRequest, "temperature"),
        ("/v1/chat/completions", #"{"messages": \#(user), "top_p": 0}"#, .badRequest, "top_p"),
        ("/v1/chat/completions", #"{"messages": \#(user), "top_p": 1.5}"#, .badRequest, "top_p"),
        ("/v1/chat/completions", #"{"messages": \#(user), "top_k": -2}"#, .badRequest, "top_k"),
        ("/v1/chat/completions", #"{"messages": \#(user), "min_p": 2}"#, .badRequest, "min_p"),
        ("/v1/chat/completions", #"{"messages": \#(user), "seed": "x"}"#, .badRequest, "seed"),
        ("/v1/chat/completions", #"{"messages": \#(user), "n": 0}"#, .badRequest, "n"),
        ("/v1/chat/completions", #"{"messages": \#(user), "n": 9}"#, .badRequest, "n"),
        ("/v1/chat/completions", #"{"messages": \#(user), "n": 1000000}"#, .badRequest, "n"),
        ("/v1/chat/completions", #"{"messages": \#(user), "presence_penalty": 3}"#, .badRequest, "presence_penalty"),
        ("/v1/chat/completions", #"{"messages": \#(user), "frequency_penalty": -3}"#, .badRequest, "frequency_penalty"),
        ("/v1/chat/completions", #"{"messages": \#(user), "stop": 5}"#, .badRequest, "stop"),
        ("/v1/chat/completions", #"{"messages": \#(user), "stop": ["a", 5]}"#, .badRequest, "stop[1]"),
        ("/v1/chat/completions", #"{"messages": \#(user), "stop": [""]}"#, .badRequest, "stop[0]"),
        ("/v1/chat/completions", #"{"messages": \#(user), "stream": "yes"}"#, .badRequest, "stream"),
        ("/v1/chat/completions", #"{"messages": \#(user), "stream_options": {"include_usage": true}}"#, .badRequest, "stream_options"),
        ("/v1/chat/completions", #"{"messages": \#(user), "stream": true, "stream_options": {"include_usage": 1}}"#, .badRequest, "stream_options.include_usage"),
        ("/v1/chat/completions", #"{"messages": \#(user), "logprobs": true, "top_logprobs": 21}"#, .badRequest, "top_logprobs"),
        ("/v1/chat/completions", #"{"messages": \#(user), "top_logprobs": 2}"#, .badRequest, "top_logprobs"),
        ("/v1/chat/completions", #"{"messages": \#(user), "tools": {}}"#, .badRequest, "tools"),
        ("/v1/chat/completions", #"{"messages": \#(user), "tools": ["f"]}"#, .badRequest, "tools[0]"),
        ("/v1/chat/completions", #"{"messages": \#(user), "tools": [{"type": "function"}]}"#, .badRequest, "tools[0].function"),
        ("/v1/chat/completions", #"{"messages": \#(user), "tools": [{"type": "function", "function": {"name": 3}}]}"#, .badRequest, "tools[0].function.name"),
        ("/v1/chat/completions", #"{"messages": \#(user), "tools": [{"type": "function", "function": {"name": "f", "parameters": 3}}]}"#, .badRequest, "tools[0].function.parameters"),
        ("/v1/chat/completions", #"{"messages": \#(user), "tools": [{"name": "f", "parameters": {"required": "x"}}]}"#, .badRequest, "tools[0].parameters.required"),
        ("/v1/completions", #"{}"#, .badRequest, "prompt"),
        ("/v1/completions", #"{"prompt": ""}"#, .badRequest, "prompt"),
        ("/v1/completions", #"{"prompt": []}"#, .badRequest, "prompt"),
        ("/v1/completions", #"{"prompt": ["a", "b"]}"#, .badRequest, "prompt"),
        ("/v1/completions", #"{"prompt": [1, -1]}"#, .badRequest, "prompt[1]"),
        ("/v1/completions", #"{"prompt": [1, 512]}"#, .badRequest, "prompt[1]"),
        ("/v1/completions", #"{"prompt": [1, "a"]}"#, .badRequest, "prompt[1]"),
        ("/v1/completions", #"{"prompt": {"text": "a"}}"#, .badRequest, "prompt"),
        ("/v1/completions", #"{"prompt": "a", "logprobs": 21}"#, .badRequest, "logprobs"),
        ("/v1/completions", #"{"prompt": "a", "logprobs": true}"#, .badRequest, "logprobs"),
        ("/v1/completions", #"{"prompt": "a", "echo": true}"#, .badRequest, "echo"),
        ("/v1/completions", #"{"prompt": "a", "max_tokens": -1}"#, .badRequest, "max_tokens"),
        ("/v1/completions", #"{"prompt": "a", "model": "other"}"#, .notFound, "model"),
        ("/tokenize", #"{"prompt": 5}"#, .badRequest, "prompt"),
        ("/detokenize", #"{"tokens": [-1]}"#, .badRequest, "tokens[0]"),
    ]

    func testEveryBadRequestIs4xxWithAnErrorObject() async throws {
        let service = self.service
        try await withClient { client in
            for (path, body, status, param) in Self.badRequests {
                let response = try await client.post(path, body)
                try response.assertError(status, param: param)
                if response.status != status { print("unexpected for \(path) \(body): \(response.text)") }
            }
        }
        XCTAssertTrue(service.submitted.isEmpty, "no bad request reaches the engine")
    }

    func testInvalidUTF8IsRejected() async throws {
        var bytes = Array(#"{"messages": [{"role": "user", "content": "ab"#.utf8)
        bytes += [0xC3, 0x28, 0xFF]
        bytes += Array(#""}]}"#.utf8)
        let body = bytes
        try await withClient { client in
            let chat = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(bytes: body))
            try chat.assertError(.badRequest, code: "invalid_json")
            XCTAssertTrue(try chat.json().description.contains("UTF-8"))
            let tokenize = try await client.execute(
                uri: "/tokenize", method: .post, body: ByteBuffer(bytes: Array(#"{"prompt": ""#.utf8) + [0xFE] + Array(#""}"#.utf8)))
            try tokenize.assertError(.badRequest)
        }
    }

    func testDeepNestingIsRejectedNotACrash() async throws {
        let deep = String(repeating: "[", count: 100_000)
        try await withClient { client in
            try await client.post("/v1/chat/completions", #"{"messages": \#(deep)"#).assertError(.badRequest)
        }
    }

    func testBodyLimitIs413() async throws {
        options.maxBodyBytes = 1000
        let big = String(repeating: "x", count: 2000)
        try await withClient { client in
            try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "\#(big)"}]}"#)
                .assertError(.contentTooLarge, code: "request_too_large")
            try await client.post("/tokenize", #"{"prompt": "\#(big)"}"#).assertError(.contentTooLarge)
            let small = try await client.post("/tokenize", #"{"prompt": "ok"}"#)
            XCTAssertEqual(small.status, .ok)
        }
    }

    func testDefaultBodyLimitRefusesThreeMegabytes() async throws {
        let big = String(repeating: "x", count: 3 * 1024 * 1024)
        try await withClient { client in
            try await client.post("/v1/completions", #"{"prompt": "\#(big)"}"#).assertError(.contentTooLarge)
        }
    }

    /// Hundreds of bad requests leave nothing behind: a normal request still works, none is running.
    func testServerStillServesAfterManyBadRequests() async throws {
        let service = self.service
        try await withClient { client in
            for round in 0..<300 {
                let (path, body, status, _) = Self.badRequests[round % Self.badRequests.count]
                let response = try await client.post(path, body)
                XCTAssertEqual(response.status, status)
            }
            let ok = try await client.post("/v1/chat/completions", #"{"messages": \#(Self.user)}"#)
            XCTAssertEqual(ok.status, .ok, ok.text)
            XCTAssertEqual(dig(try ok.json(), "choices", 0, "message", "content") as? String, "Hello world")
            let health = try await client.get("/health").json()
            XCTAssertEqual(health["running"] as? Int, 0)
        }
        XCTAssertEqual(service.submitted.count, 1)
    }
}
