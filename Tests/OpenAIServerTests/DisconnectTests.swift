#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HummingbirdTesting
import OpenAIServer
import Serving
import XCTest

/// A client that goes away mid-generation cancels its jobs (live server, raw socket).
final class DisconnectTests: ServerTestCase {
    func testClosingAStreamCancelsTheJob() async throws {
        service = ScriptedService(.hangAfter("x"))
        let service = self.service
        try await withLiveServer { client in
            let port = try XCTUnwrap(client.port)
            let body = #"{"messages": [{"role": "user", "content": "Hi"}], "stream": true, "n": 2}"#
            let received = try await RawHTTPClient.send(port: port, path: "/v1/chat/completions", body: body, closeAfterSeeing: #""content":"x""#)
            XCTAssertTrue(received.contains("text/event-stream"), received)
            try await Self.waitUntil { service.cancellations == 2 }
            try await Self.waitUntil { service.status.running == 0 }

            // The server goes on serving.
            service.behaviour = .script(["ok"])
            let ok = try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}]}"#)
            XCTAssertEqual(ok.status, .ok, ok.text)
        }
    }

    func testClosingAWholeResponseRequestCancelsTheJob() async throws {
        service = ScriptedService(.hangAfter("x"))
        let service = self.service
        try await withLiveServer { client in
            let port = try XCTUnwrap(client.port)
            let body = #"{"prompt": "Hi"}"#
            _ = try await RawHTTPClient.send(port: port, path: "/v1/completions", body: body, closeAfterSeeing: nil)
            try await Self.waitUntil { service.cancellations == 1 }
            try await Self.waitUntil { service.status.running == 0 }
        }
    }

    /// A stream that ends normally cancels nothing. Generation responses say `Connection: close`
    /// (watching the connection for the client leaving uses it up), so this is the last request
    /// on the test client's one connection; other routes keep the connection alive.
    func testFinishedStreamsAreNotCancelled() async throws {
        service = ScriptedService(.script(["a", "b"]))
        let service = self.service
        try await withLiveServer { client in
            let first = try await client.get("/health")
            let second = try await client.get("/v1/models")
            XCTAssertEqual([first.status, second.status], [.ok, .ok])
            let response = try await client.post(
                "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "stream": true}"#)
            XCTAssertEqual(response.events.last, "[DONE]")
            XCTAssertEqual(response.headers[.connection], "close")
        }
        XCTAssertEqual(service.cancellations, 0)
    }

    static func waitUntil(
        timeout: Double = 5, file: StaticString = #filePath, line: UInt = #line, _ condition: @Sendable () -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline {
                XCTFail("condition not met within \(timeout) s", file: file, line: line)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Blocking socket I/O on its own thread: send one request, read until `closeAfterSeeing`
/// appears (or 300 ms pass when nil), then close the connection without reading the rest.
enum RawHTTPClient {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func send(port: Int, path: String, body: String, closeAfterSeeing marker: String?) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    continuation.resume(returning: try exchange(port: port, path: path, body: body, marker: marker))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }

    private static func exchange(port: Int, path: String, body: String, marker: String?) throws -> String {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw Failure(description: "write failed") }
        guard let marker else {
            usleep(300_000)
            return ""
        }
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(marker) {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { throw Failure(description: "connection ended before \(marker): \(received)") }
            received += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return received
    }
}
