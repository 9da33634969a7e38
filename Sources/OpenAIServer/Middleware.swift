import Hummingbird
import Metrics

/// Turns every error a route or later middleware throws into an OpenAI error object; a 5xx is logged.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError(error)
            if apiError.status.code >= 500, apiError.status != .serviceUnavailable {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            }
            return apiError.response()
        }
    }
}

/// With an API key configured, every route but `/health` needs `Authorization: Bearer <key>`.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKey: String
    let openPaths: Set<String> = ["/health"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              Self.constantTimeEqual(Array(header.utf8.dropFirst(7)), Array(apiKey.utf8))
        else {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

/// Counts responses: `minimax_http_requests_total{method, path, status}` (path: the matched route).
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        Counter(
            label: "minimax_http_requests_total",
            dimensions: [
                ("method", request.method.rawValue), ("path", context.endpointPath ?? "unmatched"),
                ("status", String(response.status.code)),
            ],
            factory: factory
        ).increment()
        return response
    }
}
