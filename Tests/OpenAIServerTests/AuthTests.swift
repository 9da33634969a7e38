import Foundation
import HummingbirdTesting
import OpenAIServer
import XCTest

final class AuthTests: ServerTestCase {
    override func setUp() {
        super.setUp()
        options.apiKey = "sk-test-123"
    }

    func testKeyIsRequiredExceptForHealth() async throws {
        try await withClient { client in
            let chat = #"{"messages": [{"role": "user", "content": "Hi"}]}"#
            try await client.post("/v1/chat/completions", chat).assertError(.unauthorized, code: "invalid_api_key")
            try await client.post("/v1/chat/completions", chat, headers: [.authorization: "Bearer sk-wrong"])
                .assertError(.unauthorized)
            try await client.post("/v1/chat/completions", chat, headers: [.authorization: "Bearer sk-test-1234"])
                .assertError(.unauthorized)
            try await client.post("/v1/chat/completions", chat, headers: [.authorization: "sk-test-123"])
                .assertError(.unauthorized)
            try await client.get("/v1/models").assertError(.unauthorized)
            try await client.get("/metrics").assertError(.unauthorized)

            let ok = try await client.post("/v1/chat/completions", chat, headers: [.authorization: "Bearer sk-test-123"])
            XCTAssertEqual(ok.status, .ok, ok.text)
            let models = try await client.get("/v1/models", headers: [.authorization: "Bearer sk-test-123"])
            XCTAssertEqual(models.status, .ok)
            let health = try await client.get("/health")
            XCTAssertEqual(health.status, .ok)
        }
    }

    func testLoopbackDetection() {
        XCTAssertTrue(ServerOptions.isLoopback("127.0.0.1"))
        XCTAssertTrue(ServerOptions.isLoopback("localhost"))
        XCTAssertTrue(ServerOptions.isLoopback("::1"))
        XCTAssertFalse(ServerOptions.isLoopback("0.0.0.0"))
        XCTAssertFalse(ServerOptions.isLoopback("192.168.1.2"))
    }
}
