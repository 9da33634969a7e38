import ChatFormat

/// What `tool_choice` asks for. The engine samples freely (there is no constrained decoding), so
/// the choice acts through the prompt:
/// - `auto` (the default): every tool is rendered; the model decides.
/// - `none`: no tool is rendered, so the model is not told about any; should it still write a
///   `<tool_calls>` block, its lines are returned as content text, never as `tool_calls`.
/// - `required`: every tool is rendered (there must be at least one). The model is *not* forced
///   to call one: `finish_reason` is `"tool_calls"` only when it did.
/// - a named function (`{"type": "function", "function": {"name": …}}`): only that tool is
///   rendered (it must exist in `tools`), which makes it the only one the model can call; again
///   the call itself is not forced.
enum ToolChoice: Equatable {
    case auto, none, required
    case function(String)
}

/// `POST /v1/chat/completions`, decoded and validated.
struct ChatCompletionRequest {
    var model: String?
    var messages: [ChatMessage]
    var tools: [ChatTool]
    var toolChoice: ToolChoice
    var sampling: SamplingRequest
    /// nil: no log-probabilities; k: each token's log-probability and its k best alternatives.
    var topLogprobs: Int?

    init(_ body: FieldReader, options: ServerOptions, maxContext: Int) throws {
        model = try body.string("model")
        guard let messagesValue = body.value("messages") else { throw APIError.missing("messages") }
        guard case .array(let list) = messagesValue else {
            throw APIError.wrongType("messages", expected: "array", found: messagesValue.kindName)
        }
        guard !list.isEmpty else { throw APIError.invalid("messages", "must hold at least one message") }
        messages = try list.enumerated().map { i, element in try ChatMessage(json: element, field: "messages[\(i)]") }

        tools = try (body.array("tools") ?? []).enumerated().map { i, element in
            try ChatTool(json: element, field: "tools[\(i)]")
        }
        var seen: [String: Int] = [:]
        for (i, tool) in tools.enumerated() {
            if let first = seen[tool.name] {
                throw APIError.invalid(
                    tool.isBare ? "tools[\(i)].name" : "tools[\(i)].function.name",
                    "\"\(tool.name)\" is already the name of tools[\(first)]")
            }
            seen[tool.name] = i
        }
        toolChoice = try Self.toolChoice(body, tools: tools)
        sampling = try SamplingRequest(body, options: options, maxContext: maxContext)

        let logprobs = try body.bool("logprobs") ?? false
        let top = try body.int("top_logprobs", in: 0...options.maxTopLogprobs)
        if top != nil && !logprobs { throw APIError.invalid("top_logprobs", "needs \"logprobs\": true") }
        topLogprobs = logprobs ? (top ?? 0) : nil
    }

    /// The tools the prompt shows, per `tool_choice`.
    var promptTools: [ChatTool] {
        switch toolChoice {
        case .auto, .required: return tools
        case .none: return []
        case .function(let name): return tools.filter { $0.name == name }
        }
    }

    private static func toolChoice(_ body: FieldReader, tools: [ChatTool]) throws -> ToolChoice {
        guard let value = body.value("tool_choice") else { return .auto }
        switch value {
        case .string("auto"): return .auto
        case .string("none"): return .none
        case .string("required"):
            guard !tools.isEmpty else { throw APIError.invalid("tool_choice", "\"required\" needs at least one tool in \"tools\"") }
            return .required
        case .string(let other):
            throw APIError.invalid("tool_choice", "must be \"auto\", \"none\", \"required\" or a function, got \"\(other)\"")
        case .object:
            let choice = try FieldReader(value, path: "tool_choice")
            if let type = try choice.string("type"), type != "function" {
                throw APIError.invalid("tool_choice.type", "must be \"function\", got \"\(type)\"")
            }
            // OpenAI's {"type": "function", "function": {"name"}}, or a bare {"name"}.
            let named = try choice.object("function") ?? choice
            guard let name = try named.string("name") else { throw APIError.missing(named.field("name")) }
            guard tools.contains(where: { $0.name == name }) else {
                throw APIError.invalid(named.field("name"), "no tool in \"tools\" is named \"\(name)\"")
            }
            return .function(name)
        default:
            throw APIError.wrongType("tool_choice", expected: "string or object", found: value.kindName)
        }
    }
}
