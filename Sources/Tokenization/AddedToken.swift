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

extension AddedToken {
    /// Added-token ids share the vocabulary's bound (they index the same embedding rows).
    static let maximumID = BytePairModel.maximumID

    /// All added tokens' contents together stay under 16 MiB (real files hold a few KB): they
    /// become matcher nodes, a few dozen bytes each.
    static let maximumContentBytes = 1 << 24

    /// Two different tokens with one id would decode ambiguously; `field` names the list.
    static func checkDistinctIDs(_ tokens: [AddedToken], file: String, field: String) throws {
        var contentByID: [Int: String] = [:]
        contentByID.reserveCapacity(tokens.count)
        var contentBytes = 0
        for (index, token) in tokens.enumerated() {
            contentBytes += token.content.utf8.count
            guard contentBytes <= maximumContentBytes else {
                throw TokenizerError.invalidField(
                    file: file, field: "\(field)[\(index)].content",
                    reason: "brings the added tokens' contents past the limit of \(maximumContentBytes) bytes")
            }
            if let other = contentByID.updateValue(token.content, forKey: token.id), other != token.content {
                throw TokenizerError.invalidField(
                    file: file, field: "\(field)[\(index)].id",
                    reason: "repeats id \(token.id) of \"\(other)\" (ids must be unique)")
            }
        }
    }
}

/// One stretch of input: text for the normal pipeline, or an added token already identified.
enum TextSegment: Equatable {
    case text(String)
    case token(Int)
}

/// Finds added tokens in text, leftmost first and longest among those starting at the same
/// place (the order `tokenizers`' Aho-Corasick matcher uses).
///
/// The contents live in a byte trie whose edges are one hash table keyed by (node, byte), so one
/// position costs at most the longest content's length whatever the number of tokens (a
/// per-first-byte candidate list made 100,000 tokens that share a first byte cost 100,000
/// comparisons per position), and memory stays proportional to the contents' bytes.
struct AddedTokenMatcher: Sendable {
    private let tokens: [AddedToken]
    /// Child of node n by byte b at key n << 8 | b; node 0 is the root.
    private let edges: [Int: Int32]
    /// The token that ends at each node (the first in file order), or -1.
    private let terminal: [Int32]

    init(_ tokens: [AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        self.tokens = usable
        var edges: [Int: Int32] = [:]
        var terminal: [Int32] = [-1]
        for (index, token) in usable.enumerated() {
            var node = 0
            for byte in token.content.utf8 {
                let key = node << 8 | Int(byte)
                if let next = edges[key] {
                    node = Int(next)
                } else {
                    node = terminal.count
                    edges[key] = Int32(node)
                    terminal.append(-1)
                }
            }
            if terminal[node] < 0 { terminal[node] = Int32(index) }
        }
        self.edges = edges
        self.terminal = terminal
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
        // Every token that starts here, shortest first; the longest acceptable one wins.
        var ends: [(token: Int, end: Int)] = []
        var node = 0, position = index
        while position < bytes.count, let next = edges[node << 8 | Int(bytes[position])] {
            node = Int(next)
            position += 1
            if terminal[node] >= 0 { ends.append((Int(terminal[node]), position)) }
        }
        for (candidate, end) in ends.reversed() {
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
        // Only the neighbouring scalars are decoded: decoding the whole prefix made every match
        // cost the length of the text before it.
        var start = before
        if start > 0 { start -= 1; while start > 0, bytes[start] & 0xC0 == 0x80 { start -= 1 } }
        var end = after
        if end < bytes.count { end += 1; while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 } }
        let previous = String(decoding: bytes[start..<before], as: UTF8.self).unicodeScalars.last
        let next = String(decoding: bytes[after..<end], as: UTF8.self).unicodeScalars.first
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
