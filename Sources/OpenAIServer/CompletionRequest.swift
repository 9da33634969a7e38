import ChatFormat

/// `POST /v1/completions`, decoded and validated.
struct CompletionRequest {
    enum Prompt {
        case text(String)
        case ids([Int])
    }

    var model: String?
    var prompt: Prompt
    var sampling: SamplingRequest
    /// The legacy `logprobs` integer: each token's log-probability and its k best alternatives.
    var topLogprobs: Int?

    init(_ body: FieldReader, options: ServerOptions, maxContext: Int, vocabularySize: Int) throws {
        model = try body.string("model")
        prompt = try Self.prompt(body, vocabularySize: vocabularySize)
        sampling = try SamplingRequest(body, options: options, maxContext: maxContext)
        topLogprobs = try body.int("logprobs", in: 0...options.maxTopLogprobs)
        if try body.bool("echo") == true { throw APIError.invalid("echo", "is not supported") }
        if let bestOf = try body.int("best_of", in: 1...Int.max), bestOf != 1 {
            throw APIError.invalid("best_of", "is not supported (only 1)")
        }
        if let suffix = try body.string("suffix"), !suffix.isEmpty { throw APIError.invalid("suffix", "is not supported") }
    }

    /// A string, a list holding one string, a list of token ids, or a list holding one list of ids.
    private static func prompt(_ body: FieldReader, vocabularySize: Int) throws -> Prompt {
        guard let value = body.value("prompt") else { throw APIError.missing("prompt") }
        switch value {
        case .string(let text):
            guard !text.isEmpty else { throw APIError.invalid("prompt", "must not be empty") }
            return .text(text)
        case .array(let elements):
            guard !elements.isEmpty else { throw APIError.invalid("prompt", "must not be empty") }
            if case .number = elements[0] { return .ids(try ids(elements, field: "prompt", vocabularySize: vocabularySize)) }
            guard elements.count == 1 else {
                throw APIError.invalid("prompt", "one prompt per request is supported, got \(elements.count)")
            }
            switch elements[0] {
            case .string(let text):
                guard !text.isEmpty else { throw APIError.invalid("prompt[0]", "must not be empty") }
                return .text(text)
            case .array(let inner):
                guard !inner.isEmpty else { throw APIError.invalid("prompt[0]", "must not be empty") }
                return .ids(try ids(inner, field: "prompt[0]", vocabularySize: vocabularySize))
            default:
                throw APIError.wrongType("prompt[0]", expected: "string or array of token ids", found: elements[0].kindName)
            }
        default:
            throw APIError.wrongType("prompt", expected: "string or array", found: value.kindName)
        }
    }

    static func ids(_ elements: [JSONValue], field: String, vocabularySize: Int) throws -> [Int] {
        try elements.enumerated().map { i, element in
            let id = try FieldReader.integer(element, field: "\(field)[\(i)]")
            guard id >= 0, id < vocabularySize else {
                throw APIError.invalid("\(field)[\(i)]", "token id \(id) is outside the vocabulary (0 ..< \(vocabularySize))")
            }
            return id
        }
    }
}
