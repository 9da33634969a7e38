import Generation
import Serving

/// One chat choice being generated: splits the token texts into reasoning, content and tool calls
/// (AssistantOutputParser) and keeps what the final message and usage need. Streaming sends each
/// `ChatDeltaOut` as it comes; the whole response reads the accumulated fields at the end.
struct ChatChoiceState {
    let index: Int
    /// False for `tool_choice: "none"`: tool-call lines become content text.
    let toolCallsEnabled: Bool
    private var parser = AssistantOutputParser()
    private(set) var content = ""
    private(set) var reasoning = ""
    private(set) var toolCalls: [ToolCallOut] = []
    private(set) var logprobs: [TokenLogprobOut] = []
    private(set) var summary: GenerationSummary?

    init(index: Int, toolCallsEnabled: Bool) {
        self.index = index
        self.toolCallsEnabled = toolCallsEnabled
    }

    /// The delta a token adds (often empty: the parser holds back text that may become a tag).
    mutating func add(_ token: GeneratedToken, logprob: TokenLogprobOut?) -> ChatDeltaOut {
        if let logprob { logprobs.append(logprob) }
        return apply(parser.feed(token.text))
    }

    /// The delta of the end: held-back text, the summary's trailing text, an unterminated tool block.
    mutating func finish(_ summary: GenerationSummary) -> ChatDeltaOut {
        self.summary = summary
        var delta = apply(parser.feed(summary.trailingText))
        let last = apply(parser.finish())
        delta.content = (delta.content ?? "") + (last.content ?? "")
        delta.reasoning = (delta.reasoning ?? "") + (last.reasoning ?? "")
        delta.toolCalls += last.toolCalls
        return delta
    }

    var finishReason: String {
        guard let summary else { return "stop" }
        switch summary.finishReason {
        case .length: return "length"
        case .stop, .repetition: return toolCalls.isEmpty || summary.cancelled ? "stop" : "tool_calls"
        }
    }

    var message: AssistantMessageOut {
        AssistantMessageOut(
            content: content.isEmpty && !toolCalls.isEmpty ? nil : content,
            reasoning: reasoning.isEmpty ? nil : reasoning, toolCalls: toolCalls)
    }

    private mutating func apply(_ parsed: OutputDelta) -> ChatDeltaOut {
        var delta = ChatDeltaOut()
        var text = parsed.content
        for call in parsed.toolCalls {
            if toolCallsEnabled {
                let out = ToolCallOut(
                    index: toolCalls.count, id: RandomID.make(prefix: "call_"),
                    function: .init(name: call.name, arguments: call.argumentsJSON))
                toolCalls.append(out)
                delta.toolCalls.append(out)
            } else {
                text += Self.separated(content + text) + "{\"name\": \(jsonString(call.name)), \"arguments\": \(call.argumentsJSON)}"
            }
        }
        // A call line that does not parse is not dropped: the client sees it as text.
        for malformed in parsed.malformedToolCalls {
            text += Self.separated(content + text) + malformed.line
        }
        content += text
        reasoning += parsed.reasoning
        delta.content = text
        delta.reasoning = parsed.reasoning
        return delta
    }

    private static func separated(_ before: String) -> String { before.isEmpty ? "" : "\n" }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    (try? JSONCoding.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
}

/// Ids like OpenAI's: a prefix and 24 random letters and digits.
enum RandomID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    static func make(prefix: String, length: Int = 24) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
