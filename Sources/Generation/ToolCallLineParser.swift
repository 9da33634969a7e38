import Foundation

/// Parses one line of a `<tool_calls>` block: `{"name": "f", "arguments": {...}}`.
enum ToolCallLineParser {
    /// Deeper nesting is reported as malformed rather than handed to a recursive parser.
    static let maximumDepth = 128

    static func parse(_ line: String) -> Result<ParsedToolCall, MalformedToolCall> {
        func malformed(_ reason: String) -> Result<ParsedToolCall, MalformedToolCall> {
            .failure(MalformedToolCall(line: line, reason: reason))
        }
        let bytes = Array(line.utf8)
        guard let members = TopLevelMembers.scan(bytes, maximumDepth: maximumDepth) else {
            return malformed("not a JSON object")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any] else {
            return malformed("not a JSON object")
        }
        guard let nameText = members["name"] else { return malformed("missing \"name\"") }
        guard case let name as String = decodeJSON(nameText), !name.isEmpty else {
            return malformed("\"name\" must be a non-empty string")
        }
        guard let argumentsText = members["arguments"] else { return malformed("missing \"arguments\"") }
        switch decodeJSON(argumentsText) {
        case is [String: Any]:
            return .success(ParsedToolCall(name: name, argumentsJSON: argumentsText))
        case let encoded as String:
            // Some models write the arguments as a JSON-encoded string, as OpenAI's API does.
            guard decodeJSON(encoded, depthChecked: false) is [String: Any] else {
                return malformed("\"arguments\" string does not hold a JSON object")
            }
            return .success(ParsedToolCall(name: name, argumentsJSON: encoded))
        default:
            return malformed("\"arguments\" must be a JSON object")
        }
    }

    /// Any JSON value (fragments allowed); nil when invalid or nested too deeply.
    private static func decodeJSON(_ text: String, depthChecked: Bool = true) -> Any? {
        let bytes = Array(text.utf8)
        if !depthChecked, TopLevelMembers.nestingDepth(bytes) > maximumDepth { return nil }
        return try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }
}

/// The raw text of each top-level member value of a JSON object, found without building the
/// value, so the arguments keep the model's own member order and spelling.
enum TopLevelMembers {
    /// nil if `bytes` is not shaped like an object or nests deeper than `maximumDepth`.
    /// (Full validity is left to JSONSerialization; this only locates the spans.)
    static func scan(_ bytes: [UInt8], maximumDepth: Int) -> [String: String]? {
        guard nestingDepth(bytes) <= maximumDepth else { return nil }
        var i = 0
        func skipWhitespace() {
            while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        }
        skipWhitespace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var members: [String: String] = [:]
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { return members }
        while i < bytes.count {
            skipWhitespace()
            let keyStart = i
            guard let keyEnd = endOfValue(bytes, from: i), bytes[keyStart] == UInt8(ascii: "\"") else { return nil }
            let keyText = String(decoding: bytes[keyStart..<keyEnd], as: UTF8.self)
            guard case let key as String = try? JSONSerialization.jsonObject(
                with: Data(keyText.utf8), options: [.fragmentsAllowed]) else { return nil }
            i = keyEnd
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipWhitespace()
            let valueStart = i
            guard let valueEnd = endOfValue(bytes, from: i) else { return nil }
            members[key] = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)  // last duplicate wins, as in JSONSerialization
            i = valueEnd
            skipWhitespace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return members }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return nil
    }

    /// The index just past the value starting at `start`: a string, a bracketed value, or a
    /// literal/number running to the next delimiter.
    private static func endOfValue(_ bytes: [UInt8], from start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        var i = start
        var depth = 0
        var inString = false
        while i < bytes.count {
            let byte = bytes[i]
            if inString {
                if byte == UInt8(ascii: "\\") { i += 2; continue }
                if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 { return i + 1 }
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return i }
                    depth -= 1
                    if depth == 0 { return i + 1 }
                case UInt8(ascii: ","), 0x20, 0x0A, 0x0D, 0x09:
                    if depth == 0 { return i }
                default: break
                }
            }
            i += 1
        }
        return depth == 0 && !inString && i > start ? bytes.count : nil
    }

    /// The deepest bracket nesting outside strings.
    static func nestingDepth(_ bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0, inString = false, i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if inString {
                if byte == UInt8(ascii: "\\") { i += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
                deepest = max(deepest, depth)
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                depth -= 1
            }
            i += 1
        }
        return deepest
    }
}
