/// The MiniMax-M1 chat template (`chat_template` in the official `tokenizer_config.json`),
/// reimplemented natively so rendering needs neither that file nor a Jinja engine.
///
/// Faithful to the template, including its quirks:
/// - every system message contributes the text of its *first* part, concatenated with no separator;
/// - a user message shows only its *first* part's text;
/// - an assistant message shows all parts whose `type` is `"text"`, concatenated; its
///   `tool_calls` are not printed;
/// - a tool message shows every part as `tool name: …` / `tool result: …`;
/// - each tool is printed with Python's `json.dumps` on its own line.
/// Beyond the template: a plain-string `content` is treated as one text part (the template itself
/// fails on it, or prints nothing for an assistant), a plain-string tool result takes its name from
/// the message's `name` or from the assistant call whose id matches `tool_call_id`, and a `null`
/// assistant content renders as empty.
public enum ChatTemplate {
    public static let beginOfDocument = "<begin_of_document>"
    public static let beginOfTurn = "<beginning_of_sentence>"
    public static let endOfTurn = "<end_of_sentence>"
    /// What `addGenerationPrompt` appends: the opening of an assistant turn.
    public static let generationPrompt = "<beginning_of_sentence>ai name=assistant\n"

    static let toolInstructions = """
        </tools>

        If you need to call tools, please respond with <tool_calls></tool_calls> XML tags, and provide \
        tool-name and json-object of arguments, following the format below:
        <tool_calls>
        {name: <tool-name-1>, arguments: <args-json-object-1>}
        ...
        </tool_calls>
        """

    public static func render(
        messages: [ChatMessage], tools: [ChatTool] = [], addGenerationPrompt: Bool = true
    ) throws -> String {
        var out = beginOfDocument

        var systemPrompt = ""
        for (i, message) in messages.enumerated() where message.role == .system {
            systemPrompt += try firstPartText(of: message, field: "messages[\(i)].content")
        }
        if !systemPrompt.isEmpty {
            out += beginOfTurn + "system ai_setting=assistant\n" + systemPrompt + endOfTurn + "\n"
        }

        if !tools.isEmpty {
            out += beginOfTurn + "system tool_setting=tools\nYou are provided with these tools:\n<tools>\n"
            for tool in tools { out += PythonJSON.dumps(tool.json) + "\n" }
            out += toolInstructions + endOfTurn + "\n"
        }

        // Name of the latest assistant tool call with each id, kept as the messages go by so a
        // tool message finds its call by hash (a search of the earlier messages per tool message
        // made 100,000 of them quadratic).
        var toolNameByCallID: [String: String] = [:]
        for (i, message) in messages.enumerated() {
            let field = "messages[\(i)].content"
            switch message.role {
            case .system:
                continue
            case .user:
                out += beginOfTurn + "user name=user\n" + (try firstPartText(of: message, field: field)) + endOfTurn + "\n"
            case .assistant:
                out += beginOfTurn + "ai name=assistant\n" + assistantText(of: message) + endOfTurn + "\n"
                // Reversed: within one message the first call with an id wins, as before.
                for call in message.toolCalls.reversed() { if let id = call.id { toolNameByCallID[id] = call.name } }
            case .tool:
                out += beginOfTurn + "tool name=tools\n"
                for (name, result) in try toolResults(of: message, index: i, toolNameByCallID: toolNameByCallID) {
                    out += "tool name: " + name + "\n" + "tool result: " + result + "\n\n"
                }
                out += endOfTurn + "\n"
            }
        }

        if addGenerationPrompt { out += generationPrompt }
        return out
    }

    /// `message['content'][0]['text']`.
    private static func firstPartText(of message: ChatMessage, field: String) throws -> String {
        switch message.content {
        case .text(let text):
            return text
        case .none:
            throw ChatFormatError.invalidValue(field: field, reason: "a \(message.role.rawValue) message needs content")
        case .parts(let parts):
            guard let first = parts.first else {
                throw ChatFormatError.invalidValue(field: field, reason: "needs at least one part")
            }
            guard let text = first.text else { throw ChatFormatError.missingField(field: "\(field)[0].text") }
            return text
        }
    }

    /// `message['content'] | selectattr('type', 'equalto', 'text')`, concatenated.
    private static func assistantText(of message: ChatMessage) -> String {
        switch message.content {
        case .text(let text): return text
        case .none: return ""
        case .parts(let parts): return parts.filter { $0.type == "text" }.map { $0.text ?? "" }.joined()
        }
    }

    /// `(name, text)` of every part of a tool message.
    private static func toolResults(
        of message: ChatMessage, index: Int, toolNameByCallID: [String: String]
    ) throws -> [(String, String)] {
        let field = "messages[\(index)]"
        switch message.content {
        case .none:
            throw ChatFormatError.invalidValue(field: "\(field).content", reason: "a tool message needs content")
        case .text(let text):
            if let name = message.name { return [(name, text)] }
            guard let id = message.toolCallID else {
                throw ChatFormatError.missingField(field: "\(field).name")
            }
            guard let name = toolNameByCallID[id] else {
                throw ChatFormatError.invalidValue(
                    field: "\(field).tool_call_id", reason: "no earlier assistant tool call has id \"\(id)\"")
            }
            return [(name, text)]
        case .parts(let parts):
            return try parts.enumerated().map { j, part in
                guard let name = part.name ?? message.name else {
                    throw ChatFormatError.missingField(field: "\(field).content[\(j)].name")
                }
                guard let text = part.text else { throw ChatFormatError.missingField(field: "\(field).content[\(j)].text") }
                return (name, text)
            }
        }
    }
}
