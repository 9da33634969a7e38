/// One message of a conversation in OpenAI form.
public struct ChatMessage: Equatable, Sendable {
    public enum Role: String, CaseIterable, Sendable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: ChatContent
    /// The calls an assistant message made. Kept for callers; the official template does not print them.
    public var toolCalls: [ChatToolCall]
    /// For a tool result: the id of the call it answers (used to find the tool's name).
    public var toolCallID: String?
    /// For a tool result: the tool's name.
    public var name: String?

    public init(
        role: Role, content: ChatContent, toolCalls: [ChatToolCall] = [], toolCallID: String? = nil,
        name: String? = nil
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: .text(text)) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: .text(text)) }
    public static func assistant(_ text: String, toolCalls: [ChatToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: .text(text), toolCalls: toolCalls)
    }
    public static func tool(result: String, name: String? = nil, toolCallID: String? = nil) -> ChatMessage {
        ChatMessage(role: .tool, content: .text(result), toolCallID: toolCallID, name: name)
    }
}

/// A message's `content`: a plain string, a list of parts, or absent (`null`).
public enum ChatContent: Equatable, Sendable {
    case text(String)
    case parts([ContentPart])
    case none
}

/// One element of a list-of-parts `content`, e.g. `{"type": "text", "text": "Hi"}`.
/// Tool results in the template's own form also carry the tool `name`.
public struct ContentPart: Equatable, Sendable {
    public var type: String?
    public var text: String?
    public var name: String?

    public init(type: String? = "text", text: String?, name: String? = nil) {
        self.type = type
        self.text = text
        self.name = name
    }
}

/// A call recorded on an assistant message (`tool_calls[i]`).
public struct ChatToolCall: Equatable, Sendable {
    public var id: String?
    public var name: String
    /// `function.arguments`: a JSON object, or the JSON-encoded string OpenAI clients send.
    public var arguments: JSONValue

    public init(id: String? = nil, name: String, arguments: JSONValue = .object([])) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}
