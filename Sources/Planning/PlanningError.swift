/// A planner input (a comparison config, a hardware file, an option) that cannot be planned with.
/// Every case names the file and the field at fault.
public enum PlanningError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case invalidJSON(path: String, reason: String)
    case missingField(path: String, field: String)
    case invalidField(path: String, field: String, reason: String)
    case unknownPreset(name: String, known: [String])

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): no such file"
        case .invalidJSON(let path, let reason): return "\(path): invalid JSON: \(reason)"
        case .missingField(let path, let field): return "\(path): required field '\(field)' is missing"
        case .invalidField(let path, let field, let reason): return "\(path): field '\(field)': \(reason)"
        case .unknownPreset(let name, let known):
            return "unknown hardware '\(name)': give a JSON file or one of \(known.joined(separator: ", "))"
        }
    }
}
