/// A tool call the model made: one line `{"name": ..., "arguments": {...}}` of a `<tool_calls>` block.
public struct ParsedToolCall: Equatable, Sendable {
    public let name: String
    /// The arguments object as the model wrote it (member order and spelling kept); when the
    /// model wrote the arguments as a JSON string, that string's contents.
    public let argumentsJSON: String

    public init(name: String, argumentsJSON: String) {
        self.name = name
        self.argumentsJSON = argumentsJSON
    }
}

/// A line of a `<tool_calls>` block that is not a valid call.
public struct MalformedToolCall: Error, Equatable, Sendable {
    public let line: String
    public let reason: String

    public init(line: String, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// What a piece of model output added. Concatenating every delta's strings and lists gives the
/// final `ParsedOutput`, however the text was split.
public struct OutputDelta: Equatable, Sendable {
    public var reasoning = ""
    public var content = ""
    public var toolCalls: [ParsedToolCall] = []
    public var malformedToolCalls: [MalformedToolCall] = []

    public init() {}

    /// Appends what `other` added (the next piece of the same output).
    public mutating func append(_ other: OutputDelta) {
        reasoning += other.reasoning
        content += other.content
        toolCalls += other.toolCalls
        malformedToolCalls += other.malformedToolCalls
    }

    public var isEmpty: Bool {
        reasoning.isEmpty && content.isEmpty && toolCalls.isEmpty && malformedToolCalls.isEmpty
    }
}

/// The assistant output split into its parts.
public struct ParsedOutput: Equatable, Sendable {
    /// The text inside `<think>…</think>`, without the surrounding whitespace.
    public var reasoning = ""
    /// The answer: everything outside thinking and tool-call blocks, without leading and trailing whitespace.
    public var content = ""
    public var toolCalls: [ParsedToolCall] = []
    public var malformedToolCalls: [MalformedToolCall] = []

    public init() {}

    mutating func add(_ delta: OutputDelta) {
        reasoning += delta.reasoning
        content += delta.content
        toolCalls += delta.toolCalls
        malformedToolCalls += delta.malformedToolCalls
    }
}
