/// What a `Split` pre-tokenizer (or `Replace` normalizer / decoder) looks for.
enum SplitPattern: Sendable {
    /// A literal string (`{"String": "…"}`).
    case literal([UInt8])
    /// A regex we recognise and match by hand (`FastSplitPattern`).
    case fast(FastSplitPattern)
    /// Any other regex, run by Swift's engine on Unicode scalars.
    case regex(ScalarRegex)

    /// The pattern for `{"Regex": pattern}`; `field` names it in errors.
    static func fromRegex(_ pattern: String, file: String, field: String) throws -> SplitPattern {
        if let fast = FastSplitPattern(pattern: pattern) { return .fast(fast) }
        return .regex(try ScalarRegex(pattern, file: file, field: field))
    }

    /// Non-empty match ranges inside `range`, left to right, not overlapping.
    func matches(in text: ClassifiedUTF8, range: Range<Int>) throws -> [Range<Int>] {
        switch self {
        case .literal(let needle):
            guard !needle.isEmpty else { return [] }
            var found: [Range<Int>] = []
            var index = range.lowerBound
            while index + needle.count <= range.upperBound {
                var equal = true
                for offset in 0..<needle.count where text.bytes[index + offset] != needle[offset] {
                    equal = false
                    break
                }
                if equal {
                    found.append(index..<index + needle.count)
                    index += needle.count
                } else {
                    index += 1
                }
            }
            return found
        case .fast(let pattern):
            var ends: [Int] = []
            pattern.splitEnds(text, range: range, into: &ends)
            var start = range.lowerBound
            return ends.map { end in defer { start = end }; return start..<end }
        case .regex(let regex):
            return try regex.matches(in: UnsafeBufferPointer(rebasing: text.bytes[range])).map {
                ($0.lowerBound + range.lowerBound)..<($0.upperBound + range.lowerBound)
            }
        }
    }

    /// `range` cut into matched and unmatched segments (`invert` swaps the two kinds).
    func segments(in text: ClassifiedUTF8, range: Range<Int>, invert: Bool) throws -> [(range: Range<Int>, isMatch: Bool)] {
        var segments: [(range: Range<Int>, isMatch: Bool)] = []
        var position = range.lowerBound
        for match in try matches(in: text, range: range) {
            if match.lowerBound > position { segments.append((position..<match.lowerBound, invert)) }
            segments.append((match, !invert))
            position = match.upperBound
        }
        if position < range.upperBound { segments.append((position..<range.upperBound, invert)) }
        return segments
    }
}
