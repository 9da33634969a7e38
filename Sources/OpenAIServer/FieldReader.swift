import ChatFormat
import Foundation

/// Typed access to the members of a JSON object, each failure a 400 naming the field by its path
/// (`stream_options.include_usage`). A member that is `null` counts as absent.
struct FieldReader {
    let json: JSONValue
    /// The object's own path; "" for the request body.
    let path: String

    init(_ json: JSONValue, path: String = "") throws {
        guard case .object = json else {
            throw APIError.wrongType(path.isEmpty ? "body" : path, expected: "object", found: json.kindName)
        }
        self.json = json
        self.path = path
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member, or nil when absent or `null`.
    func value(_ key: String) -> JSONValue? {
        guard let value = json[key], value != .null else { return nil }
        return value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.stringValue else { throw APIError.wrongType(field(key), expected: "string", found: value.kindName) }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw APIError.wrongType(field(key), expected: "boolean", found: value.kindName) }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(key) else { return nil }
        let number = try Self.integer(value, field: field(key))
        guard range.contains(number) else {
            throw APIError.invalid(field(key), "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value else {
            throw APIError.wrongType(field(key), expected: "number", found: value.kindName)
        }
        guard let double = Double(number.literal), double.isFinite else {
            throw APIError.invalid(field(key), "\(number.literal) is not a finite number")
        }
        guard range.contains(double) else {
            throw APIError.invalid(field(key), "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), got \(number.literal)")
        }
        return double
    }

    func object(_ key: String) throws -> FieldReader? {
        guard let value = value(key) else { return nil }
        return try FieldReader(value, path: field(key))
    }

    func array(_ key: String) throws -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw APIError.wrongType(field(key), expected: "array", found: value.kindName) }
        return elements
    }

    /// A JSON integer (an integral float such as `2.0` is accepted, as pydantic does).
    static func integer(_ value: JSONValue, field: String) throws -> Int {
        guard case .number(let number) = value else { throw APIError.wrongType(field, expected: "integer", found: value.kindName) }
        if number.isInteger {
            guard let int = Int(number.literal) else { throw APIError.invalid(field, "\(number.literal) is out of range") }
            return int
        }
        guard let double = Double(number.literal), double.isFinite, double.rounded() == double else {
            throw APIError.wrongType(field, expected: "integer", found: "number \(number.literal)")
        }
        guard abs(double) <= 9_007_199_254_740_992 else { throw APIError.invalid(field, "\(number.literal) is out of range") }
        return Int(double)
    }

    private static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
