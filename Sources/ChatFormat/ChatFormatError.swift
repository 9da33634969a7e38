/// Why a conversation or tool list cannot be rendered; `field` names the offending value
/// the way a user would find it in their JSON, e.g. `messages[2].role`.
public enum ChatFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidJSON(JSONParseError)
    case missingField(field: String)
    case wrongType(field: String, expected: String, found: String)
    case invalidValue(field: String, reason: String)

    public var field: String? {
        switch self {
        case .invalidJSON: return nil
        case .missingField(let field), .wrongType(let field, _, _), .invalidValue(let field, _): return field
        }
    }

    public var description: String {
        switch self {
        case .invalidJSON(let error): return error.description
        case .missingField(let field): return "\(field): missing"
        case .wrongType(let field, let expected, let found): return "\(field): expected \(expected), found \(found)"
        case .invalidValue(let field, let reason): return "\(field): \(reason)"
        }
    }
}
