/// A tool the model may call, in OpenAI form: `{"type": "function", "function": {...}}`.
///
/// The whole object is kept, members in their original order, because the template prints it
/// verbatim with `tojson`.
public struct ChatTool: Equatable, Sendable {
    public let json: JSONValue

    /// Validates the OpenAI shape; `field` prefixes error paths (e.g. `tools[1]`).
    public init(json: JSONValue, field: String = "tool") throws {
        guard case .object = json else {
            throw ChatFormatError.wrongType(field: field, expected: "object", found: json.kindName)
        }
        guard let function = json["function"] else { throw ChatFormatError.missingField(field: "\(field).function") }
        guard case .object = function else {
            throw ChatFormatError.wrongType(field: "\(field).function", expected: "object", found: function.kindName)
        }
        guard let name = function["name"] else { throw ChatFormatError.missingField(field: "\(field).function.name") }
        guard name.stringValue != nil else {
            throw ChatFormatError.wrongType(field: "\(field).function.name", expected: "string", found: name.kindName)
        }
        self.json = json
    }

    /// Builds `{"type": "function", "function": {"name", "description", "parameters"}}` in that order.
    public init(name: String, description: String? = nil, parameters: JSONValue? = nil) {
        var function = [JSONMember("name", .string(name))]
        if let description { function.append(JSONMember("description", .string(description))) }
        if let parameters { function.append(JSONMember("parameters", parameters)) }
        json = .object([JSONMember("type", .string("function")), JSONMember("function", .object(function))])
    }

    public var name: String { json["function"]?["name"]?.stringValue ?? "" }
}
