import Generation
import Serving

/// One completions choice being generated: the raw text (no reasoning or tool-call parsing) and
/// the legacy log-probabilities.
struct CompletionChoiceState {
    let index: Int
    private(set) var text = ""
    private(set) var logprobs = CompletionLogprobs()
    private(set) var summary: GenerationSummary?

    init(index: Int) { self.index = index }

    /// The token's text and, when asked for, its log-probability entry (offset into the text).
    mutating func add(_ token: GeneratedToken, tokenText: String?, top: [String: Double]?) -> (String, CompletionLogprobs?) {
        var entry: CompletionLogprobs?
        if let tokenText, let logprob = token.logprob {
            let new = CompletionLogprobs(
                tokens: [tokenText], token_logprobs: [finiteLogprob(logprob.logprob)], top_logprobs: [top ?? [:]],
                text_offset: [text.count])
            logprobs.tokens += new.tokens
            logprobs.token_logprobs += new.token_logprobs
            logprobs.top_logprobs += new.top_logprobs
            logprobs.text_offset += new.text_offset
            entry = new
        }
        text += token.text
        return (token.text, entry)
    }

    mutating func finish(_ summary: GenerationSummary) -> String {
        self.summary = summary
        text += summary.trailingText
        return summary.trailingText
    }

    var finishReason: String {
        summary?.finishReason == .length ? "length" : "stop"
    }
}
