import ChatFormat
import Foundation
import Hummingbird
import Serving
import Tokenization

/// An OpenAI-style error: the HTTP status and `{"error": {"message", "type", "param", "code"}}`.
/// Every failure of every route leaves the server as one of these; `message` names the field.
public struct APIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(status: HTTPResponse.Status, message: String, type: String? = nil, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type ?? (status.code >= 500 ? "server_error" : "invalid_request_error")
        self.param = param
        self.code = code
    }

    public var description: String { "\(status.code) \(message)" }

    /// 400 for a field: the message starts with the field's name.
    static func invalid(_ param: String, _ reason: String) -> APIError {
        APIError(status: .badRequest, message: "\(param): \(reason)", param: param, code: "invalid_value")
    }

    static func wrongType(_ param: String, expected: String, found: String) -> APIError {
        APIError(status: .badRequest, message: "\(param): expected \(expected), found \(found)", param: param, code: "invalid_type")
    }

    static func missing(_ param: String) -> APIError {
        APIError(status: .badRequest, message: "\(param): missing", param: param, code: "missing_field")
    }

    static func modelNotFound(_ name: String, served: String) -> APIError {
        APIError(
            status: .notFound, message: "model: the model \"\(name)\" does not exist; this server serves \"\(served)\"",
            param: "model", code: "model_not_found")
    }

    static let unauthorized = APIError(
        status: .unauthorized, message: "missing or invalid API key: send the header \"Authorization: Bearer <key>\"",
        code: "invalid_api_key")

    /// Any error a handler may meet, as the client should see it.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as ChatFormatError:
            self = APIError(
                status: .badRequest, message: error.description, param: error.field,
                code: error.field == nil ? "invalid_json" : "invalid_value")
        case let error as ServiceError:
            self = APIError(service: error)
        case let error as TokenizerError:
            self = APIError(status: .badRequest, message: "tokenizer: \(error)", code: "invalid_value")
        case let error as HTTPError:
            self = APIError(http: error)
        default:
            self = APIError(status: .internalServerError, message: "internal error: \(error)", code: "internal_error")
        }
    }

    init(service error: ServiceError) {
        switch error {
        case .invalidParameter(let name, _):
            self.init(status: .badRequest, message: error.description, param: name, code: "invalid_value")
        case .contextExceeded:
            self.init(status: .badRequest, message: error.description, param: "messages", code: "context_length_exceeded")
        case .exceedsMemory:
            self.init(status: .badRequest, message: error.description, param: "max_tokens", code: "exceeds_memory")
        case .queueFull:
            self.init(status: .serviceUnavailable, message: error.description, code: "server_busy")
        case .shuttingDown:
            self.init(status: .serviceUnavailable, message: error.description, code: "shutting_down")
        case .engineFailure:
            self.init(status: .internalServerError, message: error.description, code: "engine_failure")
        }
    }

    init(http error: HTTPError) {
        switch error.status {
        case .contentTooLarge:
            self.init(status: .contentTooLarge, message: "the request body is too large", code: "request_too_large")
        case .notFound:
            self.init(status: .notFound, message: "no such route", code: "not_found")
        case .methodNotAllowed:
            self.init(status: .methodNotAllowed, message: "method not allowed", code: "method_not_allowed")
        default:
            self.init(status: error.status, message: error.body ?? error.status.reasonPhrase, code: nil)
        }
    }

    /// The error as an HTTP response.
    func response(extraHeaders: HTTPFields = [:]) -> Response {
        var headers = extraHeaders
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: jsonBytes())))
    }

    /// `{"error": {...}}`, also the payload of an error event in a stream.
    func jsonBytes() -> [UInt8] {
        (try? JSONCoding.encode(ErrorEnvelope(error: self))) ?? Array(#"{"error":{"message":"error"}}"#.utf8)
    }
}

private struct ErrorEnvelope: Encodable {
    let error: APIError

    enum Keys: String, CodingKey { case error }
    enum Fields: String, CodingKey { case message, type, param, code }

    func encode(to encoder: Encoder) throws {
        var outer = encoder.container(keyedBy: Keys.self)
        var inner = outer.nestedContainer(keyedBy: Fields.self, forKey: .error)
        try inner.encode(error.message, forKey: .message)
        try inner.encode(error.type, forKey: .type)
        try inner.encode(error.param, forKey: .param)
        try inner.encode(error.code, forKey: .code)
    }
}
