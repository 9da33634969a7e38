/// Bad input to a loaded model.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case tokenOutOfRange(id: Int, position: Int, vocabularySize: Int)
    case emptyInput
    case cacheMismatch

    public var description: String {
        switch self {
        case .tokenOutOfRange(let id, let position, let vocabularySize):
            return "token id \(id) at position \(position) is outside the vocabulary (0..<\(vocabularySize))"
        case .emptyInput: return "no token ids were given"
        case .cacheMismatch: return "the cache was made for a different model (layer plan differs)"
        }
    }
}
