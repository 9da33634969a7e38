import Foundation

/// A regex from a tokenizer file, compiled with Swift's engine and matched on Unicode scalars.
///
/// Swift's `Regex` matches grapheme clusters by default, which would glue a combining mark or a
/// ZWJ emoji sequence into one "character"; `tokenizers` (Oniguruma) sees scalars, so we ask for
/// scalar semantics. This is the slow path, for patterns `FastSplitPattern` does not know.
struct ScalarRegex: @unchecked Sendable {
    // Regex<AnyRegexOutput> is immutable once built; matching does not mutate it.
    private let regex: Regex<AnyRegexOutput>
    let pattern: String

    init(_ pattern: String, file: String, field: String) throws {
        do {
            regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw TokenizerError.invalidRegex(file: file, field: field, pattern: pattern, reason: "\(error)")
        }
        self.pattern = pattern
    }

    /// Non-empty matches as byte ranges of `bytes` (valid UTF-8).
    func matches(in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let text = String(decoding: bytes, as: UTF8.self)
        let utf8 = text.utf8
        return text.matches(of: regex).compactMap { match in
            let start = utf8.distance(from: utf8.startIndex, to: match.range.lowerBound)
            let end = utf8.distance(from: utf8.startIndex, to: match.range.upperBound)
            return start < end ? start..<end : nil
        }
    }

    /// `text` with every match replaced by `replacement`.
    func replacingMatches(in text: String, with replacement: String) -> String {
        text.replacing(regex, with: replacement)
    }
}
