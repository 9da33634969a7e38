import Foundation

/// Reading OpenAI-style JSON: `[{"role": ..., "content": ...}, ...]` (or `{"messages": [...]}`)
/// and `[{"type": "function", "function": {...}}, ...]` (or `{"tools": [...]}`).
extension ChatMessage {
    public static func decodeList(from data: Data) throws -> [ChatMessage] {
        try decodeList(json: parseJSON(data))
    }

    public static func decodeList(json: JSONValue) throws -> [ChatMessage] {
        let list = try topLevelArray(json, key: "messages")
        var messages: [ChatMessage] = []
        for (i, element) in list.enumerated() {
            messages.append(try ChatMessage(json: element, field: "messages[\(i)]"))
        }
        return messages
    }

    public init(json: JSONValue, field: String) throws {
        guard case .object = json else {
            throw ChatFormatError.wrongType(field: field, expected: "object", found: json.kindName)
        }
        guard let roleValue = json["role"] else { throw ChatFormatError.missingField(field: "\(field).role") }
        guard let roleName = roleValue.stringValue else {
            throw ChatFormatError.wrongType(field: "\(field).role", expected: "string", found: roleValue.kindName)
        }
        guard let role = Role(rawValue: roleName) else {
            throw ChatFormatError.invalidValue(
                field: "\(field).role", reason: "unknown role \"\(roleName)\" (expected system, user, assistant or tool)")
        }
        self.init(
            role: role,
            content: try decodeContent(json["content"], field: "\(field).content"),
            toolCalls: try decodeToolCalls(json["tool_calls"], field: "\(field).tool_calls"),
            toolCallID: try optionalString(json["tool_call_id"], field: "\(field).tool_call_id"),
            name: try optionalString(json["name"], field: "\(field).name"))
    }
}

extension ChatTool {
    public static func decodeList(from data: Data) throws -> [ChatTool] {
        try decodeList(json: parseJSON(data))
    }

    public static func decodeList(json: JSONValue) throws -> [ChatTool] {
        if case .null = json { return [] }
        return try topLevelArray(json, key: "tools").enumerated().map { i, element in
            try ChatTool(json: element, field: "tools[\(i)]")
        }
    }
}

private func parseJSON(_ data: Data) throws -> JSONValue {
    do {
        return try JSONParser.parse([UInt8](data))
    } catch let error as JSONParseError {
        throw ChatFormatError.invalidJSON(error)
    }
}

/// A bare array, or the array under `key` of an object (an OpenAI request body).
private func topLevelArray(_ json: JSONValue, key: String) throws -> [JSONValue] {
    var value = json
    if case .object = json {
        guard let inner = json[key] else { throw ChatFormatError.missingField(field: key) }
        value = inner
    }
    guard case .array(let elements) = value else {
        throw ChatFormatError.wrongType(field: key, expected: "array", found: value.kindName)
    }
    return elements
}

private func optionalString(_ value: JSONValue?, field: String) throws -> String? {
    guard let value, value != .null else { return nil }
    guard let string = value.stringValue else {
        throw ChatFormatError.wrongType(field: field, expected: "string", found: value.kindName)
    }
    return string
}

private func decodeContent(_ value: JSONValue?, field: String) throws -> ChatContent {
    switch value {
    case nil, .null?: return .none
    case .string(let text)?: return .text(text)
    case .array(let elements)?:
        return .parts(try elements.enumerated().map { j, element in
            let partField = "\(field)[\(j)]"
            guard case .object = element else {
                throw ChatFormatError.wrongType(field: partField, expected: "object", found: element.kindName)
            }
            return ContentPart(
                type: try optionalString(element["type"], field: "\(partField).type"),
                text: try strictString(element["text"], field: "\(partField).text"),
                name: try strictString(element["name"], field: "\(partField).name"))
        })
    case let other?:
        throw ChatFormatError.wrongType(field: field, expected: "string, array or null", found: other.kindName)
    }
}

/// Absent is fine; present must be a string (the template would print a null as "None").
private func strictString(_ value: JSONValue?, field: String) throws -> String? {
    guard let value else { return nil }
    guard let string = value.stringValue else {
        throw ChatFormatError.wrongType(field: field, expected: "string", found: value.kindName)
    }
    return string
}

private func decodeToolCalls(_ value: JSONValue?, field: String) throws -> [ChatToolCall] {
    switch value {
    case nil, .null?: return []
    case .array(let elements)?:
        return try elements.enumerated().map { k, element in
            let callField = "\(field)[\(k)]"
            guard case .object = element else {
                throw ChatFormatError.wrongType(field: callField, expected: "object", found: element.kindName)
            }
            guard let function = element["function"] else {
                throw ChatFormatError.missingField(field: "\(callField).function")
            }
            guard case .object = function else {
                throw ChatFormatError.wrongType(
                    field: "\(callField).function", expected: "object", found: function.kindName)
            }
            guard let name = try optionalString(function["name"], field: "\(callField).function.name") else {
                throw ChatFormatError.missingField(field: "\(callField).function.name")
            }
            let arguments = function["arguments"] ?? .object([])
            switch arguments {
            case .object, .string: break
            default:
                throw ChatFormatError.wrongType(
                    field: "\(callField).function.arguments", expected: "object or string", found: arguments.kindName)
            }
            return ChatToolCall(
                id: try optionalString(element["id"], field: "\(callField).id"), name: name, arguments: arguments)
        }
    case let other?:
        throw ChatFormatError.wrongType(field: field, expected: "array", found: other.kindName)
    }
}
