/// A tool the model may call, in either of two forms:
/// - OpenAI's `{"type": "function", "function": {"name", "description", "parameters"}}`;
/// - the bare `{"name", "description", "parameters"}` of the MiniMax-M1 function-call guide.
///
/// The whole object is kept, members in their original order, because the template prints it
/// verbatim with `tojson`: each form is rendered exactly as the official template renders that
/// same object (the bare form is not wrapped, the OpenAI form is not unwrapped).
public struct ChatTool: Equatable, Sendable {
    public let json: JSONValue

    /// Validates either shape; `field` prefixes error paths (e.g. `tools[1]`). An object with a
    /// `function` member is read as the OpenAI form, one with a `name` and no `function` as the
    /// bare form. In both, `name` must be a non-empty string, `description` (when present) a
    /// string, and `parameters` (when present) a JSON-Schema object whose `properties` is an
    /// object and whose `required` is a list of strings.
    public init(json: JSONValue, field: String = "tool") throws {
        guard case .object = json else {
            throw ChatFormatError.wrongType(field: field, expected: "object", found: json.kindName)
        }
        if json["function"] == nil, json["name"] != nil {
            try Self.validateFunction(json, field: field)
        } else {
            if let type = json["type"] {
                guard type.stringValue == "function" else {
                    throw ChatFormatError.invalidValue(
                        field: "\(field).type", reason: "must be \"function\" (found \(Self.describe(type)))")
                }
            }
            guard let function = json["function"] else { throw ChatFormatError.missingField(field: "\(field).function") }
            guard case .object = function else {
                throw ChatFormatError.wrongType(field: "\(field).function", expected: "object", found: function.kindName)
            }
            try Self.validateFunction(function, field: "\(field).function")
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

    /// True for the bare `{"name", …}` form.
    public var isBare: Bool { json["function"] == nil }

    public var name: String { (isBare ? json["name"] : json["function"]?["name"])?.stringValue ?? "" }

    /// `{"name", "description"?, "parameters"?}` members of either form.
    private static func validateFunction(_ function: JSONValue, field: String) throws {
        guard let name = function["name"] else { throw ChatFormatError.missingField(field: "\(field).name") }
        guard let nameText = name.stringValue else {
            throw ChatFormatError.wrongType(field: "\(field).name", expected: "string", found: name.kindName)
        }
        guard !nameText.isEmpty else { throw ChatFormatError.invalidValue(field: "\(field).name", reason: "must not be empty") }
        if let description = function["description"], description != .null, description.stringValue == nil {
            throw ChatFormatError.wrongType(
                field: "\(field).description", expected: "string", found: description.kindName)
        }
        guard let parameters = function["parameters"], parameters != .null else { return }
        guard case .object = parameters else {
            throw ChatFormatError.wrongType(field: "\(field).parameters", expected: "object", found: parameters.kindName)
        }
        if let type = parameters["type"], type.stringValue == nil {
            throw ChatFormatError.wrongType(field: "\(field).parameters.type", expected: "string", found: type.kindName)
        }
        if let properties = parameters["properties"] {
            guard case .object = properties else {
                throw ChatFormatError.wrongType(
                    field: "\(field).parameters.properties", expected: "object", found: properties.kindName)
            }
        }
        if let required = parameters["required"] {
            guard case .array(let names) = required else {
                throw ChatFormatError.wrongType(
                    field: "\(field).parameters.required", expected: "array of strings", found: required.kindName)
            }
            for (i, entry) in names.enumerated() where entry.stringValue == nil {
                throw ChatFormatError.wrongType(
                    field: "\(field).parameters.required[\(i)]", expected: "string", found: entry.kindName)
            }
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        if let text = value.stringValue { return "\"\(text)\"" }
        return value.kindName
    }
}
