/// Everything that can go wrong while loading a tokenizer or encoding / decoding with it.
///
/// Each case names the file (or `"input"` for text handed to `encode`) and, where there is one,
/// the JSON field, so a message reads like
/// `tokenizer.json: pre_tokenizer.type "Metaspace" is not supported`.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The directory holds neither `tokenizer.json` nor `vocab.json` + `merges.txt`.
    case noTokenizerFiles(directory: String)
    /// The file exists but could not be read.
    case unreadableFile(file: String, reason: String)
    /// The file is not valid JSON (or its top level is not an object).
    case malformedJSON(file: String, reason: String)
    /// A required field is absent.
    case missingField(file: String, field: String)
    /// A field is present but has the wrong type or an impossible value.
    case invalidField(file: String, field: String, reason: String)
    /// A component (`normalizer`, `pre_tokenizer`, `model`, `decoder`, …) of a type this module
    /// does not implement.
    case unsupportedComponent(file: String, field: String, type: String)
    /// A merge rule names a token that is not in the vocabulary.
    case unknownMergeToken(file: String, merge: Int, token: String)
    /// A merge rule is not two tokens separated by one space.
    case malformedMerge(file: String, merge: Int, text: String)
    /// A regular expression from the file does not compile.
    case invalidRegex(file: String, field: String, pattern: String, reason: String)
    /// A regex from the file backtracked past its step budget on some text (a pattern such as
    /// `(.*)*x` is exponential): the text cannot be tokenized with it.
    case regexBudgetExceeded(file: String, field: String, pattern: String, steps: Int, scalars: Int)
    /// The normalizers (or the decoder's `Replace` steps) would grow a text past their bound.
    case normalizedTextTooLong(bytes: Int, limit: Int)
    /// Bytes handed to `encode(utf8:)` are not valid UTF-8.
    case invalidUTF8(byteOffset: Int)
    /// `decode` was given an id that no token has.
    case unknownTokenID(Int)

    public var description: String {
        switch self {
        case .noTokenizerFiles(let directory):
            return "\(directory): no tokenizer.json, and no vocab.json + merges.txt pair"
        case .unreadableFile(let file, let reason):
            return "\(file): cannot be read (\(reason))"
        case .malformedJSON(let file, let reason):
            return "\(file): malformed JSON (\(reason))"
        case .missingField(let file, let field):
            return "\(file): required field \(field) is missing"
        case .invalidField(let file, let field, let reason):
            return "\(file): \(field) \(reason)"
        case .unsupportedComponent(let file, let field, let type):
            return "\(file): \(field) \"\(type)\" is not supported"
        case .unknownMergeToken(let file, let merge, let token):
            return "\(file): merge \(merge) names token \"\(token)\", which is not in the vocabulary"
        case .malformedMerge(let file, let merge, let text):
            return "\(file): merge \(merge) \"\(text)\" is not two tokens separated by one space"
        case .invalidRegex(let file, let field, let pattern, let reason):
            return "\(file): \(field) regex \(pattern) does not compile (\(reason))"
        case .regexBudgetExceeded(let file, let field, let pattern, let steps, let scalars):
            return "\(file): \(field) regex \(pattern) needed more than \(steps) steps on a \(scalars)-character text "
                + "(its nested or overlapping repetitions backtrack too much); fix the pattern"
        case .normalizedTextTooLong(let bytes, let limit):
            return "tokenizer.json: normalizer or decoder Replace steps grow a \(bytes)-byte text past \(limit) bytes"
        case .invalidUTF8(let byteOffset):
            return "input: invalid UTF-8 at byte \(byteOffset)"
        case .unknownTokenID(let id):
            return "decode: token id \(id) is not in the vocabulary"
        }
    }
}
