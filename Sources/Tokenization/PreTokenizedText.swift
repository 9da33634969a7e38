/// Text cut into pre-tokens: byte ranges of one UTF-8 buffer.
///
/// Pre-tokenizers mostly cut, which only rewrites `pieces`. The few that add text (a prefix
/// space) append the new spelling to `bytes` and point the piece there, so no piece is ever
/// copied into a `String` of its own.
struct PreTokenizedText {
    var bytes: [UInt8]
    var pieces: [Range<Int>]

    init(_ text: String) {
        bytes = Array(text.utf8)
        pieces = bytes.isEmpty ? [] : [0..<bytes.count]
    }

    /// Runs `body` with the scalar-classifying view of `bytes`.
    func withClassifiedText<Result>(_ body: (ClassifiedUTF8) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBufferPointer { bytes in
            try ScalarClass.basicPlane.withUnsafeBufferPointer { table in
                try body(ClassifiedUTF8(bytes: bytes, table: table))
            }
        }
    }
}

/// How a split treats the delimiters it found (`tokenizers`' `SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Turns `(range, isMatch)` segments covering a piece into the resulting pieces.
    func pieces(from segments: [(range: Range<Int>, isMatch: Bool)], into output: inout [Range<Int>]) {
        switch self {
        case .removed:
            for segment in segments where !segment.isMatch { output.append(segment.range) }
        case .isolated:
            for segment in segments { output.append(segment.range) }
        case .mergedWithPrevious:
            var merged: [Range<Int>] = []
            var previousWasMatch = false
            for segment in segments {
                if segment.isMatch, !previousWasMatch, let last = merged.last {
                    merged[merged.count - 1] = last.lowerBound..<segment.range.upperBound
                } else {
                    merged.append(segment.range)
                }
                previousWasMatch = segment.isMatch
            }
            output.append(contentsOf: merged)
        case .mergedWithNext:
            var merged: [Range<Int>] = []
            var previousWasMatch = false
            for segment in segments.reversed() {
                if segment.isMatch, !previousWasMatch, let last = merged.last {
                    merged[merged.count - 1] = segment.range.lowerBound..<last.upperBound
                } else {
                    merged.append(segment.range)
                }
                previousWasMatch = segment.isMatch
            }
            output.append(contentsOf: merged.reversed())
        case .contiguous:
            var merged: [Range<Int>] = []
            var previousWasMatch = false
            for segment in segments {
                if segment.isMatch == previousWasMatch, let last = merged.last {
                    merged[merged.count - 1] = last.lowerBound..<segment.range.upperBound
                } else {
                    merged.append(segment.range)
                }
                previousWasMatch = segment.isMatch
            }
            output.append(contentsOf: merged)
        }
    }
}
