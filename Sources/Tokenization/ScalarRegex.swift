/// A regex from a tokenizer file, matched on Unicode scalars by our own budgeted backtracking
/// engine (`RegexParser` → `RegexProgram` → `RegexMatcher`).
///
/// Scalars, not grapheme clusters: `tokenizers` (Oniguruma) sees scalars, and a combining mark or
/// a ZWJ emoji sequence must not be glued into one "character". Our own engine, not Swift's
/// `Regex`: a pattern from a stranger's file can backtrack exponentially, and Swift's engine can
/// be neither budgeted nor cancelled. This is the slow path, for patterns `FastSplitPattern`
/// does not know.
struct ScalarRegex: Sendable {
    private let program: RegexProgram
    let pattern: String
    let file: String
    let field: String

    init(_ pattern: String, file: String, field: String) throws {
        do {
            program = try RegexProgram(try RegexParser.parse(pattern))
        } catch let error as RegexSyntaxError {
            throw TokenizerError.invalidRegex(file: file, field: field, pattern: pattern, reason: error.description)
        }
        self.pattern = pattern
        self.file = file
        self.field = field
    }

    /// Non-empty matches as byte ranges of `bytes` (valid UTF-8); throws `regexBudgetExceeded`
    /// when the pattern backtracks past its step budget on this text.
    func matches(in bytes: UnsafeBufferPointer<UInt8>) throws -> [Range<Int>] {
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var offset = 0
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            scalars.append(scalar)
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        var matcher = RegexMatcher(program: program, scalars: scalars)
        do {
            return try matcher.allMatches().map { offsets[$0.lowerBound]..<offsets[$0.upperBound] }
        } catch let exceeded as RegexMatcher.BudgetExceeded {
            throw TokenizerError.regexBudgetExceeded(
                file: file, field: field, pattern: pattern, steps: exceeded.steps, scalars: scalars.count)
        }
    }
}
