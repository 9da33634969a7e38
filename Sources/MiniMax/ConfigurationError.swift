/// A `config.json` that cannot describe a model this engine runs. Every case names the file and
/// the field at fault.
public enum ConfigurationError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    /// A model "directory" that is a file (say `…/config.json` itself).
    case notADirectory(path: String)
    case invalidJSON(path: String, reason: String)
    case missingField(path: String, field: String)
    case invalidField(path: String, field: String, reason: String)
    case unsupported(path: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): no such file (a model directory needs config.json)"
        case .notADirectory(let path): return "\(path): a file, not a model directory (give the directory that holds config.json)"
        case .invalidJSON(let path, let reason): return "\(path): invalid JSON: \(reason)"
        case .missingField(let path, let field): return "\(path): required field '\(field)' is missing"
        case .invalidField(let path, let field, let reason): return "\(path): field '\(field)': \(reason)"
        case .unsupported(let path, let field, let reason): return "\(path): field '\(field)': \(reason) is not supported"
        }
    }
}
