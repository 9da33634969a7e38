/// How `minimax serve` listens and whom it answers.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// When set, every route but `/health` needs `Authorization: Bearer <apiKey>`.
    public var apiKey: String?
    /// The one model name `/v1/models` lists; a request's `model`, when given, must equal it.
    public var servedModelName = "minimax"
    /// Larger request bodies are refused with 413 before they are parsed.
    public var maxBodyBytes = 2 * 1024 * 1024
    /// `n` (choices per request) may be 1 … maxChoices.
    public var maxChoices = 8
    /// `top_logprobs` (chat) and `logprobs` (completions) may be 0 … maxTopLogprobs.
    public var maxTopLogprobs = 20
    /// At most this many `stop` strings, each at most `maxStopLength` characters.
    public var maxStopStrings = 16
    public var maxStopLength = 256
    /// `max_tokens` of a completions request that gives none (the legacy API's default).
    public var defaultCompletionTokens = 16

    public init() {}

    /// True for addresses only this machine can reach.
    public static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        return lowered == "localhost" || lowered == "::1" || lowered == "[::1]" || lowered.hasPrefix("127.")
    }
}
