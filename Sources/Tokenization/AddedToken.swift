/// A token matched in the raw text before any pre-tokenization (`added_tokens` of
/// `tokenizer.json`): special tokens such as `<end_of_sentence>`, and user additions.
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int
    /// Special tokens are dropped by `decode(_:skipSpecialTokens: true)`.
    public var special: Bool
    /// Also swallow the whitespace to the left / right of the match.
    public var leftStrip: Bool
    public var rightStrip: Bool
    /// Only match where no word character touches either end.
    public var singleWord: Bool
    /// Match in the normalized text rather than the raw text.
    public var normalized: Bool

    public init(content: String, id: Int, special: Bool, leftStrip: Bool = false, rightStrip: Bool = false,
                singleWord: Bool = false, normalized: Bool? = nil) {
        self.content = content
        self.id = id
        self.special = special
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.singleWord = singleWord
        self.normalized = normalized ?? !special
    }
}

/// One stretch of input: text for the normal pipeline, or an added token already identified.
enum TextSegment: Equatable {
    case text(String)
    case token(Int)
}

/// Finds added tokens in text, leftmost first and longest among those starting at the same
/// place (the order `tokenizers`' Aho-Corasick matcher uses).
struct AddedTokenMatcher: Sendable {
    private let tokens: [AddedToken]
    private let contents: [[UInt8]]
    /// Indices into `tokens` by first byte, longest content first.
    private let candidatesByFirstByte: [[Int]]

    init(_ tokens: [AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        self.tokens = usable
        let contents = usable.map { Array($0.content.utf8) }
        self.contents = contents
        var candidates = [[Int]](repeating: [], count: 256)
        for (index, content) in contents.enumerated() { candidates[Int(content[0])].append(index) }
        for byte in 0..<256 { candidates[byte].sort { contents[$0].count > contents[$1].count } }
        candidatesByFirstByte = candidates
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Cuts `text` into text and token segments.
    func split(_ text: String) -> [TextSegment] {
        guard !tokens.isEmpty else { return [.text(text)] }
        let bytes = Array(text.utf8)
        var segments: [TextSegment] = []
        var textStart = 0
        var index = 0
        while index < bytes.count {
            guard let (tokenIndex, matchEnd) = match(in: bytes, at: index, after: textStart) else {
                index += 1
                continue
            }
            let token = tokens[tokenIndex]
            var start = index
            var end = matchEnd
            if token.leftStrip {
                while start > textStart, let scalarStart = Self.whitespaceScalarStart(before: start, in: bytes) { start = scalarStart }
            }
            if token.rightStrip {
                while end < bytes.count, let scalarEnd = Self.whitespaceScalarEnd(at: end, in: bytes) { end = scalarEnd }
            }
            if start > textStart { segments.append(.text(String(decoding: bytes[textStart..<start], as: UTF8.self))) }
            segments.append(.token(token.id))
            textStart = end
            index = end
        }
        if textStart < bytes.count { segments.append(.text(String(decoding: bytes[textStart...], as: UTF8.self))) }
        return segments
    }

    private func match(in bytes: [UInt8], at index: Int, after textStart: Int) -> (Int, Int)? {
        for candidate in candidatesByFirstByte[Int(bytes[index])] {
            let content = contents[candidate]
            guard index + content.count <= bytes.count, bytes[index..<index + content.count].elementsEqual(content) else { continue }
            let end = index + content.count
            if tokens[candidate].singleWord, !Self.isWordBoundary(bytes, before: index, after: end) { continue }
            return (candidate, end)
        }
        return nil
    }

    /// True when neither neighbour of `before..<after` is a word character (alphanumeric or `_`).
    private static func isWordBoundary(_ bytes: [UInt8], before: Int, after: Int) -> Bool {
        func isWordCharacter(_ scalar: Unicode.Scalar?) -> Bool {
            guard let scalar else { return false }
            let properties = scalar.properties
            return scalar == "_" || properties.isAlphabetic || properties.numericType != nil
        }
        let previous = String(decoding: bytes[..<before], as: UTF8.self).unicodeScalars.last
        let next = String(decoding: bytes[after...], as: UTF8.self).unicodeScalars.first
        return !isWordCharacter(previous) && !isWordCharacter(next)
    }

    private static func whitespaceScalarStart(before index: Int, in bytes: [UInt8]) -> Int? {
        var start = index - 1
        while start > 0, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        let scalar = String(decoding: bytes[start..<index], as: UTF8.self).unicodeScalars.first
        return scalar?.properties.isWhitespace == true ? start : nil
    }

    private static func whitespaceScalarEnd(at index: Int, in bytes: [UInt8]) -> Int? {
        var end = index + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let scalar = String(decoding: bytes[index..<end], as: UTF8.self).unicodeScalars.first
        return scalar?.properties.isWhitespace == true ? end : nil
    }
}
