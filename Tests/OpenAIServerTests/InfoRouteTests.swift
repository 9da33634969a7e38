import Foundation
import Generation
import Hummingbird
import HummingbirdTesting
import Metrics
import OpenAIServer
import Prometheus
import Serving
import XCTest

final class InfoRouteTests: ServerTestCase {
    func testModels() async throws {
        try await withClient { client in
            let json = try await client.get("/v1/models").json()
            XCTAssertEqual(json["object"] as? String, "list")
            XCTAssertEqual(dig(json, "data", 0, "id") as? String, "tiny")
            XCTAssertEqual(dig(json, "data", 0, "object") as? String, "model")
            XCTAssertEqual((json["data"] as? [Any])?.count, 1)
            let one = try await client.get("/v1/models/tiny").json()
            XCTAssertEqual(one["id"] as? String, "tiny")
            try await client.get("/v1/models/other").assertError(.notFound, code: "model_not_found")
        }
    }

    func testHealthShowsEngineStatus() async throws {
        service = ScriptedService(.hangAfter("x"))
        let service = self.service
        let stream = try service.submit(GenerationJob(promptIDs: [1]))
        try await withClient { client in
            let json = try await client.get("/health").json()
            XCTAssertEqual(json["status"] as? String, "ok")
            XCTAssertEqual(json["running"] as? Int, 1)
            XCTAssertEqual(json["waiting"] as? Int, 0)
            XCTAssertEqual(json["kv_pages_total"] as? Int, 64)
            XCTAssertEqual(json["max_context"] as? Int, 4096)
        }
        stream.cancel()
    }

    func testTokenizeAndDetokenize() async throws {
        try await withClient { client in
            let prompt = try await client.post("/tokenize", #"{"prompt": "Hi<end_of_sentence>"}"#).json()
            XCTAssertEqual(prompt["tokens"] as? [Int], [72, 105, ByteTokenizerFiles.endOfSentenceID])
            XCTAssertEqual(prompt["count"] as? Int, 3)

            let chat = try await client.post("/tokenize", #"{"messages": [{"role": "user", "content": "Hi"}]}"#).json()
            let ids = try XCTUnwrap(chat["tokens"] as? [Int])
            XCTAssertEqual(chat["count"] as? Int, ids.count)
            XCTAssertEqual(
                try Self.tokenizer.decode(ids),
                "<begin_of_document><beginning_of_sentence>user name=user\nHi<end_of_sentence>\n<beginning_of_sentence>ai name=assistant\n")

            let text = try await client.post("/detokenize", #"{"tokens": [72, 105]}"#).json()
            XCTAssertEqual(text["prompt"] as? String, "Hi")

            try await client.post("/detokenize", #"{"tokens": [72, 100000]}"#).assertError(.badRequest, param: "tokens[1]")
            try await client.post("/detokenize", #"{"tokens": "Hi"}"#).assertError(.badRequest, param: "tokens")
            try await client.post("/tokenize", #"{"text": "Hi"}"#).assertError(.badRequest, param: "prompt")
            try await client.post("/tokenize", #"{"messages": []}"#).assertError(.badRequest, param: "messages")
        }
    }

    /// What the engine records through swift-metrics (here straight into the registry) and the
    /// HTTP counters all show up at /metrics.
    func testMetricsText() async throws {
        let factory = PrometheusMetricsFactory(registry: registry)
        Counter(label: "minimax_request_success_total", dimensions: [("finished_reason", "stop")], factory: factory).increment(by: 3)
        Gauge(label: "minimax_num_requests_running", factory: factory).record(2)
        Timer(label: "minimax_time_to_first_token_seconds", factory: factory).recordMilliseconds(120)
        try await withClient { client in
            _ = try await client.get("/v1/models")
            _ = try await client.get("/nope")
            let response = try await client.get("/metrics")
            XCTAssertEqual(response.status, .ok)
            XCTAssertTrue(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            XCTAssertTrue(text.contains(#"minimax_request_success_total{finished_reason="stop"} 3"#), text)
            XCTAssertTrue(text.contains("minimax_num_requests_running 2"), text)
            XCTAssertTrue(text.contains("minimax_time_to_first_token_seconds_count 1"), text)
            XCTAssertTrue(text.contains(#"minimax_http_requests_total{method="GET",path="/v1/models",status="200"} 1"#), text)
            XCTAssertTrue(text.contains(#"status="404""#), text)
        }
    }

    func testBootstrapIsIdempotent() {
        XCTAssertTrue(ServerMetrics.bootstrapOnce() === ServerMetrics.bootstrapOnce())
    }

    func testUnknownRouteIsAnErrorObject() async throws {
        try await withClient { client in
            try await client.get("/v1/nothing").assertError(.notFound)
            try await client.get("/v1/chat/completions").assertError(.notFound)
        }
    }
}
