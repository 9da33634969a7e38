import Foundation

/// The normalizers of `tokenizer.json` this module implements. Applied to each stretch of text
/// between added tokens, before pre-tokenization.
indirect enum Normalizer: Sendable {
    case nfc, nfd, nfkc, nfkd
    /// Per-scalar lowercase mapping (no context rules, like Rust's `char::to_lowercase`).
    case lowercase
    case prepend(String)
    case replace(pattern: SplitPattern, content: String)
    case strip(left: Bool, right: Bool)
    case sequence([Normalizer])

    func apply(_ text: String) -> String {
        switch self {
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase:
            var scalars = String.UnicodeScalarView()
            for scalar in text.unicodeScalars { scalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
            return String(scalars)
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case .replace(let pattern, let content):
            return Self.replace(pattern, in: text, with: content)
        case .strip(let left, let right):
            var scalars = Substring(text).unicodeScalars
            if left { while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
            return String(scalars)
        case .sequence(let steps):
            return steps.reduce(text) { $1.apply($0) }
        }
    }

    /// Replaces every match of `pattern` in `text` with `content` (shared with the decoder).
    static func replace(_ pattern: SplitPattern, in text: String, with content: String) -> String {
        var bytes = Array(text.utf8)
        let replacement = Array(content.utf8)
        let matches = bytes.withUnsafeBufferPointer { buffer in
            ScalarClass.basicPlane.withUnsafeBufferPointer { table in
                pattern.matches(in: ClassifiedUTF8(bytes: buffer, table: table), range: 0..<buffer.count)
            }
        }
        for match in matches.reversed() { bytes.replaceSubrange(match, with: replacement) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
