import Foundation
import Generation
import Hummingbird
import HummingbirdTesting
import OpenAIServer
import Prometheus
import Serving
import TestSupport
import Tokenization
import XCTest

/// Shared fixtures: a byte-level tokenizer with M1's special tokens, a server around a
/// `ScriptedService`, and JSON helpers.
class ServerTestCase: XCTestCase {
    static let tokenizer: Tokenizer = {
        let directory = try! TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try! ByteTokenizerFiles.write(to: directory, vocabularySize: 512)
        return try! Tokenizer.load(directory: directory)
    }()

    static var defaults: GenerationDefaults {
        var defaults = GenerationDefaults()
        defaults.temperature = 0.7
        defaults.topP = 0.9
        defaults.topK = 40
        defaults.endOfSequence = [ByteTokenizerFiles.endOfSentenceID]
        return defaults
    }

    var service = ScriptedService()
    var options: ServerOptions = {
        var options = ServerOptions()
        options.servedModelName = "tiny"
        return options
    }()
    var registry = PrometheusCollectorRegistry()

    func makeServer() -> OpenAIServer {
        OpenAIServer(
            service: service, tokenizer: Self.tokenizer, defaults: Self.defaults, options: options, vocabularySize: 512,
            registry: registry)
    }

    /// Runs `body` against the router in process.
    func withClient(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: makeServer().makeRouter())
        try await app.test(.router, body)
    }

    /// Runs `body` against a live server on an ephemeral port.
    func withLiveServer(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        options.port = 0
        let app = Application(
            router: makeServer().makeRouter(), configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live, body)
    }
}

extension TestClientProtocol {
    /// POSTs a JSON text.
    func post(_ uri: String, _ json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(text)", file: file, line: line)
    }

    /// The `data:` payloads of a server-sent-event body, `[DONE]` included.
    var events: [String] {
        text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
            event.hasPrefix("data: ") ? String(event.dropFirst(6)) : "<not data> \(event)"
        }
    }

    /// The JSON events of a stream (everything but `[DONE]`).
    func chunks() throws -> [[String: Any]] {
        try events.filter { $0 != "[DONE]" }.map { payload in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any], payload)
        }
    }

    /// Asserts an OpenAI error object with this status and, when given, `param`.
    func assertError(
        _ status: HTTPResponse.Status, param: String? = nil, code: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(self.status, status, text, file: file, line: line)
        let error = try XCTUnwrap(try json()["error"] as? [String: Any], "no error object: \(text)", file: file, line: line)
        let message = try XCTUnwrap(error["message"] as? String, file: file, line: line)
        XCTAssertFalse(message.isEmpty, file: file, line: line)
        XCTAssertNotNil(error["type"] as? String, file: file, line: line)
        XCTAssertTrue(error.keys.contains("param") && error.keys.contains("code"), text, file: file, line: line)
        if let param {
            XCTAssertEqual(error["param"] as? String, param, text, file: file, line: line)
            XCTAssertTrue(message.contains(param), "message does not name \(param): \(message)", file: file, line: line)
        }
        if let code { XCTAssertEqual(error["code"] as? String, code, text, file: file, line: line) }
    }
}

/// `value` at a path of dictionary keys and array indices.
func dig(_ value: Any?, _ path: Any...) -> Any? {
    var current = value
    for step in path {
        if let key = step as? String { current = (current as? [String: Any])?[key] }
        else if let index = step as? Int {
            guard let array = current as? [Any], index < array.count else { return nil }
            current = array[index]
        }
    }
    return current
}
