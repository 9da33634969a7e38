import ChatFormat
import Foundation
import Hummingbird

/// JSON in and out of the routes.
enum JSONCoding {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// A 200 (or `status`) response holding `value` as JSON.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encode(value))))
    }

    /// Reads the request body (413 past `limit` bytes) and parses it as one JSON object.
    /// The request keeps the collected body, so the connection can still be watched afterwards.
    static func readObject(_ request: inout Request, limit: Int) async throws -> JSONValue {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw tooLarge(limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        }
        guard buffer.readableBytes > 0 else {
            throw APIError(status: .badRequest, message: "the request body is empty: send a JSON object", code: "invalid_json")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(Array(buffer.readableBytesView))
        } catch let error as JSONParseError {
            throw APIError(status: .badRequest, message: "the request body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard case .object = json else {
            throw APIError(
                status: .badRequest, message: "the request body must be a JSON object, found \(json.kindName)",
                code: "invalid_json")
        }
        return json
    }

    private static func tooLarge(_ limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, message: "the request body is larger than the server's limit of \(limit) bytes",
            code: "request_too_large")
    }
}

/// Doubles as JSON allows them: a log-probability of -inf (a masked token) becomes -9999, as in vLLM.
func finiteLogprob(_ value: Double) -> Double {
    value.isFinite ? value : (value.isNaN ? -9999 : (value < 0 ? -9999 : 0))
}
