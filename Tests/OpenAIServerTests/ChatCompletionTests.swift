import Foundation
import Generation
import Hummingbird
import HummingbirdTesting
import OpenAIServer
import Serving
import XCTest

final class ChatCompletionTests: ServerTestCase {
    func testNonStreamingShapeAndUsage() async throws {
        service = ScriptedService(.script(["Hel", "lo", " there"]))
        let service = self.service
        try await withClient { client in
            let response = try await client.post(
                "/v1/chat/completions", #"{"model": "tiny", "messages": [{"role": "user", "content": "Hi"}]}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            let json = try response.json()
            XCTAssertEqual(json["object"] as? String, "chat.completion")
            XCTAssertTrue((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            XCTAssertEqual(json["model"] as? String, "tiny")
            XCTAssertNotNil(json["created"] as? Int)
            XCTAssertEqual(dig(json, "choices", 0, "index") as? Int, 0)
            XCTAssertEqual(dig(json, "choices", 0, "message", "role") as? String, "assistant")
            XCTAssertEqual(dig(json, "choices", 0, "message", "content") as? String, "Hello there")
            XCTAssertTrue(dig(json, "choices", 0, "message", "reasoning_content") is NSNull)
            XCTAssertNil(dig(json, "choices", 0, "message", "tool_calls"))
            XCTAssertEqual(dig(json, "choices", 0, "finish_reason") as? String, "stop")
            let promptTokens = service.submitted[0].promptIDs.count
            XCTAssertEqual(dig(json, "usage", "prompt_tokens") as? Int, promptTokens)
            XCTAssertEqual(dig(json, "usage", "completion_tokens") as? Int, 3)
            XCTAssertEqual(dig(json, "usage", "total_tokens") as? Int, promptTokens + 3)
        }
    }

    /// The prompt is the M1 template with the generation prompt, tokenized; unset sampling fields
    /// take the model's defaults and the end-of-sequence ids stop generation.
    func testPromptAndDefaultsReachTheJob() async throws {
        let service = self.service
        try await withClient { client in
            let response = try await client.post(
                "/v1/chat/completions",
                #"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]}"#)
            XCTAssertEqual(response.status, .ok, response.text)
        }
        let job = try XCTUnwrap(service.submitted.first)
        let prompt = try Self.tokenizer.decode(job.promptIDs)
        XCTAssertEqual(
            prompt,
            "<begin_of_document><beginning_of_sentence>system ai_setting=assistant\nBe brief.<end_of_sentence>\n"
                + "<beginning_of_sentence>user name=user\nHi<end_of_sentence>\n<beginning_of_sentence>ai name=assistant\n")
        XCTAssertEqual(job.sampling.temperature, 0.7)
        XCTAssertEqual(job.sampling.topP, 0.9)
        XCTAssertEqual(job.sampling.topK, 40)
        XCTAssertEqual(job.sampling.minP, 0)
        XCTAssertEqual(job.stop.endOfSequenceTokenIDs, [ByteTokenizerFiles.endOfSentenceID])
        XCTAssertEqual(job.stop.maxNewTokens, 4096 - job.promptIDs.count)
        XCTAssertNil(job.topLogprobs)
    }

    func testRequestFieldsReachTheJobs() async throws {
        let service = self.service
        try await withClient { client in
            let response = try await client.post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "temperature": 0, "top_p": 0.5, "top_k": 3,
                 "min_p": 0.1, "seed": 42, "max_completion_tokens": 7, "stop": ["END", "."], "n": 3,
                 "presence_penalty": 0.5, "frequency_penalty": -1, "logprobs": true, "top_logprobs": 2}
                """)
            XCTAssertEqual(response.status, .ok, response.text)
            let json = try response.json()
            XCTAssertEqual((json["choices"] as? [Any])?.count, 3)
            XCTAssertEqual(dig(json, "choices", 2, "index") as? Int, 2)
            XCTAssertEqual(dig(json, "usage", "completion_tokens") as? Int, 6)
            let first = try XCTUnwrap(dig(json, "choices", 0, "logprobs", "content") as? [[String: Any]])
            XCTAssertEqual(first.count, 2)
            XCTAssertEqual(first[0]["token"] as? String, "H")
            XCTAssertEqual(first[0]["logprob"] as? Double, -0.25)
            XCTAssertEqual(first[0]["bytes"] as? [Int], [72])
            XCTAssertEqual((first[0]["top_logprobs"] as? [Any])?.count, 2)
        }
        let jobs = service.submitted
        XCTAssertEqual(jobs.count, 3)
        XCTAssertEqual(jobs.map(\.sampling.seed), [42, 43, 44])
        XCTAssertEqual(jobs[0].sampling.temperature, 0)
        XCTAssertEqual(jobs[0].sampling.topP, 0.5)
        XCTAssertEqual(jobs[0].sampling.topK, 3)
        XCTAssertEqual(jobs[0].sampling.minP, 0.1)
        XCTAssertEqual(jobs[0].stop.maxNewTokens, 7)
        XCTAssertEqual(jobs[0].stop.stopStrings, ["END", "."])
        XCTAssertEqual(jobs[0].presencePenalty, 0.5)
        XCTAssertEqual(jobs[0].frequencyPenalty, -1)
        XCTAssertEqual(jobs[0].topLogprobs, 2)
    }

    func testMaxTokensEndsWithLength() async throws {
        service = ScriptedService(.script(["a", "b", "c", "d"]))
        try await withClient { client in
            let json = try await client.post(
                "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2, "stop": "x"}"#
            ).json()
            XCTAssertEqual(dig(json, "choices", 0, "message", "content") as? String, "ab")
            XCTAssertEqual(dig(json, "choices", 0, "finish_reason") as? String, "length")
        }
        XCTAssertEqual(service.submitted.first?.stop.stopStrings, ["x"])
    }

    func testReasoningIsSplitFromContent() async throws {
        service = ScriptedService(.script(["<think>\nI should", " greet.\n</th", "ink>\n", "Hello", "!"]))
        try await withClient { client in
            let json = try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}]}"#).json()
            XCTAssertEqual(dig(json, "choices", 0, "message", "content") as? String, "Hello!")
            XCTAssertEqual(dig(json, "choices", 0, "message", "reasoning_content") as? String, "I should greet.")
            XCTAssertEqual(dig(json, "choices", 0, "message", "reasoning") as? String, "I should greet.")

            let stream = try await client.post(
                "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "stream": true}"#)
            let deltas = try stream.chunks().compactMap { dig($0, "choices", 0, "delta") as? [String: Any] }
            let reasoning = deltas.compactMap { $0["reasoning_content"] as? String }.joined()
            XCTAssertEqual(reasoning, "I should greet.")
            XCTAssertEqual(deltas.compactMap { $0["reasoning"] as? String }.joined(), "I should greet.")
            XCTAssertEqual(deltas.compactMap { $0["content"] as? String }.joined(), "Hello!")
            XCTAssertFalse(deltas.contains { ($0["content"] as? String)?.contains("<") == true })
        }
    }

    func testStreamingShape() async throws {
        service = ScriptedService(.script(["Hel", "lo"]))
        try await withClient { client in
            let response = try await client.post(
                "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "stream": true}"#)
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.headers[.contentType], "text/event-stream")
            XCTAssertEqual(response.events.last, "[DONE]")
            let chunks = try response.chunks()
            XCTAssertGreaterThanOrEqual(chunks.count, 3)
            for chunk in chunks {
                XCTAssertEqual(chunk["object"] as? String, "chat.completion.chunk")
                XCTAssertTrue((chunk["id"] as? String)?.hasPrefix("chatcmpl-") == true)
                XCTAssertEqual(chunk["id"] as? String, chunks[0]["id"] as? String)
                XCTAssertNil(chunk["usage"], "usage only with stream_options.include_usage")
            }
            XCTAssertEqual(dig(chunks[0], "choices", 0, "delta", "role") as? String, "assistant")
            let content = chunks.compactMap { dig($0, "choices", 0, "delta", "content") as? String }.joined()
            XCTAssertEqual(content, "Hello")
            XCTAssertEqual(dig(chunks.last!, "choices", 0, "finish_reason") as? String, "stop")
            XCTAssertTrue(chunks.dropLast().allSatisfy { dig($0, "choices", 0, "finish_reason") is NSNull })
        }
    }

    func testStreamIncludesUsageLast() async throws {
        service = ScriptedService(.script(["a", "b", "c"]))
        let service = self.service
        try await withClient { client in
            let response = try await client.post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "stream": true, "n": 2,
                 "stream_options": {"include_usage": true}}
                """)
            XCTAssertEqual(response.events.last, "[DONE]")
            let chunks = try response.chunks()
            let last = try XCTUnwrap(chunks.last)
            XCTAssertEqual((last["choices"] as? [Any])?.count, 0)
            let prompt = service.submitted[0].promptIDs.count
            XCTAssertEqual(dig(last, "usage", "prompt_tokens") as? Int, prompt)
            XCTAssertEqual(dig(last, "usage", "completion_tokens") as? Int, 6)
            XCTAssertEqual(dig(last, "usage", "total_tokens") as? Int, prompt + 6)
            for chunk in chunks.dropLast() { XCTAssertTrue(chunk["usage"] is NSNull, "\(chunk)") }
            for choice in 0..<2 {
                let mine = chunks.filter { dig($0, "choices", 0, "index") as? Int == choice }
                XCTAssertEqual(mine.compactMap { dig($0, "choices", 0, "delta", "content") as? String }.joined(), "abc")
                XCTAssertEqual(mine.compactMap { dig($0, "choices", 0, "finish_reason") as? String }, ["stop"])
            }
        }
    }

    func testStreamingLogprobsCoverEveryToken() async throws {
        service = ScriptedService(.script(["<thi", "nk>", "x", "</think>", "y"]))
        try await withClient { client in
            let response = try await client.post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "stream": true, "logprobs": true, "top_logprobs": 1}
                """)
            let entries = try response.chunks().flatMap { (dig($0, "choices", 0, "logprobs", "content") as? [Any]) ?? [] }
            XCTAssertEqual(entries.count, 5)
        }
    }

    /// An engine failure after the job was accepted: an error event, then `[DONE]`.
    func testEngineFailureMidStreamIsAnErrorEvent() async throws {
        service = ScriptedService(.failAfter(["a"], .engineFailure("boom")))
        try await withClient { client in
            let response = try await client.post(
                "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "stream": true}"#)
            XCTAssertEqual(response.events.last, "[DONE]")
            let error = try XCTUnwrap(response.chunks().last?["error"] as? [String: Any])
            XCTAssertTrue((error["message"] as? String)?.contains("boom") == true)

            let whole = try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}]}"#)
            try whole.assertError(.internalServerError, code: "engine_failure")
        }
    }

    func testServiceErrorsMapToStatuses() async throws {
        let cases: [(ServiceError, HTTPResponse.Status, String?)] = [
            (.invalidParameter(name: "top_k", reason: "too big"), .badRequest, "top_k"),
            (.contextExceeded(promptTokens: 10, maxNewTokens: 10, context: 12), .badRequest, nil),
            (.exceedsMemory(tokens: 100, budgetTokens: 10), .badRequest, nil),
            (.queueFull(limit: 4), .serviceUnavailable, nil),
            (.shuttingDown, .serviceUnavailable, nil),
            (.engineFailure("x"), .internalServerError, nil),
        ]
        for (error, status, param) in cases {
            service = ScriptedService(.refuse(error))
            try await withClient { client in
                try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}]}"#)
                    .assertError(status, param: param)
                try await client.post("/v1/completions", #"{"prompt": "Hi"}"#).assertError(status, param: param)
            }
        }
    }

    func testPromptBeyondTheContextIs400() async throws {
        service = ScriptedService(maxContext: 64)
        try await withClient { client in
            let long = String(repeating: "x", count: 100)
            try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "\#(long)"}]}"#)
                .assertError(.badRequest, code: "context_length_exceeded")
            try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 60}"#)
                .assertError(.badRequest, code: "context_length_exceeded")
        }
        XCTAssertTrue(service.submitted.isEmpty)
    }
}
