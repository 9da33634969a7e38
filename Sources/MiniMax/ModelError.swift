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

/// A batch that does not fit its caches.
public enum BatchError: Error, CustomStringConvertible, Equatable {
    case sequenceOutOfRange(row: Int, sequence: Int, caches: Int)
    case positionMismatch(row: Int, sequence: Int, expected: Int, found: Int)

    public var description: String {
        switch self {
        case .sequenceOutOfRange(let row, let sequence, let caches):
            return "batch row \(row): sequence \(sequence) has no cache (\(caches) caches given)"
        case .positionMismatch(let row, let sequence, let expected, let found):
            return "batch row \(row): sequence \(sequence) continues at position \(expected), not \(found)"
        }
    }
}
