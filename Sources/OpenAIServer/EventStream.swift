import Hummingbird

/// Server-sent events: `data: <json>\n\n` per event, `data: [DONE]\n\n` at the end.
enum EventStream {
    static let headers: HTTPFields = [
        .contentType: "text/event-stream", .cacheControl: "no-cache",
        // The connection is watched for the client leaving, which uses it up: no keep-alive.
        .connection: "close",
    ]

    static func event(_ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(payload.count + 8)
        buffer.writeString("data: ")
        buffer.writeBytes(payload)
        buffer.writeString("\n\n")
        return buffer
    }

    static func event<T: Encodable>(_ value: T) throws -> ByteBuffer { event(try JSONCoding.encode(value)) }

    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// A streaming response whose body runs `produce` while `jobs` are cancelled if the client
    /// goes away. An error inside the stream (the engine failed a job) is sent as an error event.
    static func response(
        request: Request, jobs: JobSet,
        produce: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await jobs.cancellingOnDisconnect(request) {
                do {
                    try await produce(&writer)
                } catch let error as APIError {
                    try await writer.write(event(error.jsonBytes()))
                } catch let error as ServiceErrorInStream {
                    try await writer.write(event(APIError(error.underlying).jsonBytes()))
                }
                try await writer.write(done)
            }
            try await writer.finish(nil)
        })
    }
}

/// An engine error met while streaming (not a failed write, which ends the response).
struct ServiceErrorInStream: Error {
    let underlying: any Error
}
