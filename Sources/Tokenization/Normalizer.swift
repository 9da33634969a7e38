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

    /// Growth the normalizers may cause: the output of any step is at most this many times the
    /// input's bytes (plus a constant). NFKC's widest expansion is 11x; a chain of `Replace`
    /// steps from a hostile file could otherwise double the text at every step.
    static let maximumGrowth = 32

    /// The normalized text; throws `normalizedTextTooLong` past the growth bound.
    func apply(_ text: String) throws -> String {
        try apply(text, limit: Self.maximumGrowth * text.utf8.count + 1024)
    }

    private func apply(_ text: String, limit: Int) throws -> String {
        let result = try step(text, limit: limit)
        guard result.utf8.count <= limit else { throw TokenizerError.normalizedTextTooLong(bytes: text.utf8.count, limit: limit) }
        return result
    }

    private func step(_ text: String, limit: Int) throws -> String {
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
            return try Self.replace(pattern, in: text, with: content, limit: limit)
        case .strip(let left, let right):
            var scalars = Substring(text).unicodeScalars
            if left { while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
            return String(scalars)
        case .sequence(let steps):
            return try steps.reduce(text) { try $1.apply($0, limit: limit) }
        }
    }

    /// Replaces every match of `pattern` in `text` with `content` (shared with the decoder), in
    /// one pass; throws when the result would pass `limit` bytes.
    static func replace(_ pattern: SplitPattern, in text: String, with content: String, limit: Int) throws -> String {
        let bytes = Array(text.utf8)
        let replacement = Array(content.utf8)
        let matches = try bytes.withUnsafeBufferPointer { buffer in
            try ScalarClass.basicPlane.withUnsafeBufferPointer { table in
                try pattern.matches(in: ClassifiedUTF8(bytes: buffer, table: table), range: 0..<buffer.count)
            }
        }
        let removed = matches.reduce(0) { $0 + $1.count }
        let (added, overflow) = matches.count.multipliedReportingOverflow(by: replacement.count)
        guard !overflow, bytes.count - removed + added <= limit else {
            throw TokenizerError.normalizedTextTooLong(bytes: bytes.count, limit: limit)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count - removed + added)
        var position = 0
        for match in matches {
            output.append(contentsOf: bytes[position..<match.lowerBound])
            output.append(contentsOf: replacement)
            position = match.upperBound
        }
        output.append(contentsOf: bytes[position...])
        return String(decoding: output, as: UTF8.self)
    }
}
