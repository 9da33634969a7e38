/// A JSON value that keeps object members in the order they were written.
///
/// Tool schemas are printed back into the prompt, and the official template prints them with
/// Python's `json.dumps`, which keeps insertion order: a dictionary-backed value would reorder
/// keys and change the prompt. Numbers keep their source spelling so integers of any size and
/// floats both print the way Python prints them.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The member named `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON number as written in the source text.
public struct JSONNumber: Equatable, Sendable {
    /// The literal, e.g. `-12`, `2.50`, `1E5`.
    public let literal: String

    /// Python's `json.loads` makes a literal without fraction or exponent an `int`, else a `float`.
    public var isInteger: Bool { !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }

    public init(literal: String) { self.literal = literal }
    public init(_ value: Int) { literal = String(value) }
    public init(_ value: Double) { literal = PythonJSON.floatRepr(value) }
}
