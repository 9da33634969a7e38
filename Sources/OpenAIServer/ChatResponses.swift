/// The JSON shapes of `/v1/chat/completions` answers (OpenAI's, plus `reasoning_content` /
/// `reasoning` for the text inside `<think>…</think>`).

/// What every answer wraps its choices in: `chat.completion`, `chat.completion.chunk` or
/// `text_completion`. `usage` is written when `includeUsage` (as null when nil): always for a whole
/// answer; on every stream chunk with `stream_options.include_usage` (null but in the last, which
/// has no choices), as OpenAI's are.
struct ResponseEnvelope<Choice: Encodable>: Encodable {
    let id: String
    let object: String
    let created: Int
    let model: String
    let choices: [Choice]
    let includeUsage: Bool
    let usage: Usage?

    enum Keys: String, CodingKey { case id, object, created, model, choices, usage }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        if includeUsage { try container.encode(usage, forKey: .usage) }
    }
}

struct Usage: Encodable, Equatable {
    let prompt_tokens: Int
    let completion_tokens: Int
    let total_tokens: Int

    init(promptTokens: Int, completionTokens: Int) {
        prompt_tokens = promptTokens
        completion_tokens = completionTokens
        total_tokens = promptTokens + completionTokens
    }
}

/// One call the model made: `function.arguments` is the arguments object as a JSON string.
struct ToolCallOut: Encodable {
    struct Function: Encodable {
        let name: String
        let arguments: String
    }

    let index: Int
    let id: String
    let type = "function"
    let function: Function

    enum CodingKeys: String, CodingKey { case index, id, type, function }
}

/// A whole-message call has no `index`; a streamed one does.
struct MessageToolCall: Encodable {
    let call: ToolCallOut

    enum Keys: String, CodingKey { case id, type, function }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(call.id, forKey: .id)
        try container.encode(call.type, forKey: .type)
        try container.encode(call.function, forKey: .function)
    }
}

struct TopLogprobOut: Encodable {
    let token: String
    let logprob: Double
    let bytes: [UInt8]
}

struct TokenLogprobOut: Encodable {
    let token: String
    let logprob: Double
    let bytes: [UInt8]
    let top_logprobs: [TopLogprobOut]
}

struct ChatLogprobs: Encodable {
    let content: [TokenLogprobOut]
}

/// `choices[i].message`: `content` is null when the model only called tools; the reasoning goes
/// out under both names clients look for, null when there was none.
struct AssistantMessageOut: Encodable {
    let content: String?
    let reasoning: String?
    let toolCalls: [ToolCallOut]

    enum Keys: String, CodingKey { case role, content, reasoning_content, reasoning, tool_calls }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode("assistant", forKey: .role)
        try container.encode(content, forKey: .content)
        try container.encode(reasoning, forKey: .reasoning_content)
        try container.encode(reasoning, forKey: .reasoning)
        if !toolCalls.isEmpty { try container.encode(toolCalls.map(MessageToolCall.init), forKey: .tool_calls) }
    }
}

struct ChatChoiceOut: Encodable {
    let index: Int
    let message: AssistantMessageOut
    let logprobs: ChatLogprobs?
    let finish_reason: String

    enum Keys: String, CodingKey { case index, message, logprobs, finish_reason }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(index, forKey: .index)
        try container.encode(message, forKey: .message)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finish_reason, forKey: .finish_reason)
    }
}

/// What one stream chunk adds to a choice; absent fields are left out.
struct ChatDeltaOut: Encodable {
    var role: String?
    var content: String?
    var reasoning: String?
    var toolCalls: [ToolCallOut] = []

    var isEmpty: Bool { role == nil && (content ?? "").isEmpty && (reasoning ?? "").isEmpty && toolCalls.isEmpty }

    enum Keys: String, CodingKey { case role, content, reasoning_content, reasoning, tool_calls }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(role, forKey: .role)
        if let content, !content.isEmpty || role != nil { try container.encode(content, forKey: .content) }
        if let reasoning, !reasoning.isEmpty {
            try container.encode(reasoning, forKey: .reasoning_content)
            try container.encode(reasoning, forKey: .reasoning)
        }
        if !toolCalls.isEmpty { try container.encode(toolCalls, forKey: .tool_calls) }
    }
}

struct ChatChunkChoiceOut: Encodable {
    let index: Int
    let delta: ChatDeltaOut
    let logprobs: ChatLogprobs?
    let finish_reason: String?

    enum Keys: String, CodingKey { case index, delta, logprobs, finish_reason }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(index, forKey: .index)
        try container.encode(delta, forKey: .delta)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finish_reason, forKey: .finish_reason)
    }
}
