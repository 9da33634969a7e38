import Foundation
import Generation
import HummingbirdTesting
import OpenAIServer
import Serving
import XCTest

final class CompletionTests: ServerTestCase {
    func testTextPrompt() async throws {
        service = ScriptedService(.script(["lo", " world"]))
        let service = self.service
        try await withClient { client in
            let response = try await client.post("/v1/completions", #"{"model": "tiny", "prompt": "Hel", "max_tokens": 5}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            let json = try response.json()
            XCTAssertEqual(json["object"] as? String, "text_completion")
            XCTAssertTrue((json["id"] as? String)?.hasPrefix("cmpl-") == true)
            XCTAssertEqual(dig(json, "choices", 0, "text") as? String, "lo world")
            XCTAssertEqual(dig(json, "choices", 0, "finish_reason") as? String, "stop")
            XCTAssertTrue(dig(json, "choices", 0, "logprobs") is NSNull)
            XCTAssertEqual(dig(json, "usage", "prompt_tokens") as? Int, 3)
            XCTAssertEqual(dig(json, "usage", "completion_tokens") as? Int, 2)
        }
        XCTAssertEqual(service.submitted.first?.promptIDs, try Self.tokenizer.encode("Hel"))
        XCTAssertEqual(service.submitted.first?.stop.maxNewTokens, 5)
    }

    /// Raw prompts are not chat: no template, and the default budget is the legacy API's 16.
    func testTokenIDPromptsAndDefaultBudget() async throws {
        let service = self.service
        try await withClient { client in
            for body in [#"{"prompt": [72, 105]}"#, #"{"prompt": [[72, 105]]}"#, #"{"prompt": ["Hi"]}"#] {
                let response = try await client.post("/v1/completions", body)
                XCTAssertEqual(response.status, .ok, "\(body): \(response.text)")
            }
        }
        XCTAssertEqual(service.submitted.map(\.promptIDs), [[72, 105], [72, 105], [72, 105]])
        XCTAssertEqual(service.submitted.first?.stop.maxNewTokens, 16)
        XCTAssertEqual(service.submitted.first?.stop.endOfSequenceTokenIDs, [ByteTokenizerFiles.endOfSentenceID])
    }

    /// vLLM's `ignore_eos` (the serving benchmark sends it): no end-of-sequence ids.
    func testIgnoreEOS() async throws {
        let service = self.service
        try await withClient { client in
            let response = try await client.post("/v1/completions", #"{"prompt": "Hi", "ignore_eos": true}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            try await client.post("/v1/completions", #"{"prompt": "Hi", "ignore_eos": 1}"#).assertError(.badRequest, param: "ignore_eos")
        }
        XCTAssertEqual(service.submitted.first?.stop.endOfSequenceTokenIDs, [])
    }

    func testStreamingWithUsage() async throws {
        service = ScriptedService(.script(["a", "b"]))
        try await withClient { client in
            let response = try await client.post(
                "/v1/completions", #"{"prompt": "x", "stream": true, "stream_options": {"include_usage": true}}"#)
            XCTAssertEqual(response.events.last, "[DONE]")
            let chunks = try response.chunks()
            XCTAssertTrue(chunks.allSatisfy { $0["object"] as? String == "text_completion" })
            XCTAssertEqual(chunks.compactMap { dig($0, "choices", 0, "text") as? String }.joined(), "ab")
            XCTAssertEqual(chunks.compactMap { dig($0, "choices", 0, "finish_reason") as? String }, ["stop"])
            XCTAssertEqual((chunks.last?["choices"] as? [Any])?.count, 0)
            XCTAssertEqual(dig(chunks.last, "usage", "completion_tokens") as? Int, 2)
        }
    }

    func testLegacyLogprobs() async throws {
        service = ScriptedService(.script(["a", "bc"]))
        let service = self.service
        try await withClient { client in
            let json = try await client.post("/v1/completions", #"{"prompt": "x", "logprobs": 2}"#).json()
            XCTAssertEqual(dig(json, "choices", 0, "logprobs", "tokens") as? [String], ["H", "H"])
            XCTAssertEqual(dig(json, "choices", 0, "logprobs", "token_logprobs") as? [Double], [-0.25, -0.25])
            XCTAssertEqual(dig(json, "choices", 0, "logprobs", "text_offset") as? [Int], [0, 1])
            let top = try XCTUnwrap(dig(json, "choices", 0, "logprobs", "top_logprobs") as? [[String: Double]])
            XCTAssertEqual(top.first, ["H": -0.25, "I": -1.25])
        }
        XCTAssertEqual(service.submitted.first?.topLogprobs, 2)
    }
}
