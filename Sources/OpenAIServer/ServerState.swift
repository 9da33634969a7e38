import Foundation
import Generation
import Logging
import Serving
import Tokenization

/// What every route reads: the engine, the tokenizer, the model's defaults and the options.
struct ServerState: Sendable {
    let service: any GenerationService
    let tokenizer: Tokenizer
    let defaults: GenerationDefaults
    let options: ServerOptions
    /// Token ids a prompt may hold are 0 ..< vocabularySize.
    let vocabularySize: Int
    let startTime: Int
    let logger: Logger

    /// A request's `model`, when given, must be the served name.
    func checkModel(_ model: String?) throws {
        if let model, model != options.servedModelName {
            throw APIError.modelNotFound(model, served: options.servedModelName)
        }
    }

    /// A token's text for log-probability entries (a lone part of a UTF-8 character shows as U+FFFD).
    func tokenText(_ id: Int) -> String {
        (try? tokenizer.decode([id])) ?? ""
    }

    /// The chat `logprobs.content` entry of a token, when the job asked for log-probabilities.
    func chatLogprob(_ token: GeneratedToken) -> TokenLogprobOut? {
        guard let logprob = token.logprob else { return nil }
        let text = tokenText(logprob.id)
        return TokenLogprobOut(
            token: text, logprob: finiteLogprob(logprob.logprob), bytes: Array(text.utf8),
            top_logprobs: token.topLogprobs.map {
                let alternative = tokenText($0.id)
                return TopLogprobOut(token: alternative, logprob: finiteLogprob($0.logprob), bytes: Array(alternative.utf8))
            })
    }

    /// The legacy `top_logprobs` map of a token (a text that several ids decode to keeps its best).
    func completionTopLogprobs(_ token: GeneratedToken) -> [String: Double] {
        var map: [String: Double] = [:]
        for alternative in token.topLogprobs {
            let text = tokenText(alternative.id)
            map[text] = max(map[text] ?? -.infinity, finiteLogprob(alternative.logprob))
        }
        return map
    }
}
