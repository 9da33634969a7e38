import Foundation
import Generation
import Hummingbird
import Logging
import Prometheus
import Serving
import Tokenization

/// The OpenAI-compatible HTTP server around any `GenerationService`.
///
/// Routes: `POST /v1/chat/completions`, `POST /v1/completions`, `GET /v1/models`,
/// `GET /v1/models/{id}`, `GET /health`, `POST /tokenize`, `POST /detokenize`, `GET /metrics`.
/// Tests build it around a scripted service and drive `makeRouter()` with HummingbirdTesting;
/// `minimax serve` runs `makeApplication()`.
public struct OpenAIServer: Sendable {
    let state: ServerState
    /// Where `/metrics` reads from and the HTTP counters go.
    public let registry: PrometheusCollectorRegistry

    /// - Parameters:
    ///   - vocabularySize: token ids a request may hold are below it (default: the tokenizer's).
    ///   - registry: the metrics registry; `ServerMetrics.bootstrapOnce()` in a server process,
    ///     so that the engine's swift-metrics land in it too; a fresh one in tests.
    public init(
        service: any GenerationService, tokenizer: Tokenizer, defaults: GenerationDefaults, options: ServerOptions,
        vocabularySize: Int? = nil, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        logger: Logger = Logger(label: "minimax.serve")
    ) {
        state = ServerState(
            service: service, tokenizer: tokenizer, defaults: defaults, options: options,
            vocabularySize: vocabularySize ?? tokenizer.vocabularySize, startTime: Int(Date().timeIntervalSince1970),
            logger: logger)
        self.registry = registry
    }

    public var options: ServerOptions { state.options }

    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: HTTPMetricsMiddleware(factory: PrometheusMetricsFactory(registry: registry)))
        router.add(middleware: ErrorMiddleware())
        if let apiKey = state.options.apiKey { router.add(middleware: AuthMiddleware(apiKey: apiKey)) }

        let chat = ChatCompletionsRoute(server: state)
        let completions = CompletionsRoute(server: state)
        let info = InfoRoutes(server: state)
        let tokenizer = TokenizerRoutes(server: state)
        let registry = self.registry
        router.post("/v1/chat/completions") { request, _ in try await chat.handle(request) }
        router.post("/v1/completions") { request, _ in try await completions.handle(request) }
        router.get("/v1/models") { _, _ in try info.models() }
        router.get("/v1/models/{id}") { _, context in try info.model(named: context.parameters.get("id") ?? "") }
        router.get("/health") { _, _ in try info.health() }
        router.post("/tokenize") { request, _ in try await tokenizer.tokenize(request) }
        router.post("/detokenize") { request, _ in try await tokenizer.detokenize(request) }
        router.get("/metrics") { _, _ in ServerMetrics.response(registry) }
        return router
    }

    /// The server listening on `options.host:options.port`; run it with `runService()`.
    public func makeApplication() -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(state.options.host, port: state.options.port), serverName: "minimax-serve"),
            logger: state.logger)
    }
}
