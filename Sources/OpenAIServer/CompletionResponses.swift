/// The JSON shapes of `/v1/completions` answers (the legacy text-completion API).

/// The legacy log-probabilities: parallel lists, and one `{token: logprob}` map per position.
struct CompletionLogprobs: Encodable {
    var tokens: [String] = []
    var token_logprobs: [Double] = []
    var top_logprobs: [[String: Double]] = []
    var text_offset: [Int] = []

    var isEmpty: Bool { tokens.isEmpty }
}

struct CompletionChoiceOut: Encodable {
    let index: Int
    let text: String
    let logprobs: CompletionLogprobs?
    let finish_reason: String?

    enum Keys: String, CodingKey { case index, text, logprobs, finish_reason }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(index, forKey: .index)
        try container.encode(text, forKey: .text)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finish_reason, forKey: .finish_reason)
    }
}
