/// Hand-written matchers for the split regexes nearly every byte-level BPE tokenizer uses.
///
/// Each one returns exactly the match a backtracking engine (Oniguruma, which `tokenizers`
/// uses) finds, working on Unicode scalars, but without a regex engine: one forward pass that
/// also remembers where it could have backtracked to. These patterns match every character, so
/// the text splits into consecutive matches with no gaps.
enum FastSplitPattern: Sendable, Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// (cl100k, Llama 3; `maxDigits` 1 gives Qwen 2's `\p{N}`).
    case gpt4(maxDigits: Int)
    /// The o200k pattern: case-aware letter runs, contractions glued on, `[\r\n/]*` after symbols.
    case gpt4o

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let gpt4Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let gpt4oPattern = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The fast matcher for a pattern written exactly as one of the known ones, else nil.
    init?(pattern: String) {
        switch pattern {
        case Self.gpt2Pattern: self = .gpt2
        case Self.gpt4Pattern: self = .gpt4(maxDigits: 3)
        case Self.gpt4Pattern.replacingOccurrences(of: #"\p{N}{1,3}"#, with: #"\p{N}"#): self = .gpt4(maxDigits: 1)
        case Self.gpt4oPattern: self = .gpt4o
        default: return nil
        }
    }

    /// Appends the end offsets of consecutive matches covering `range` of `text`.
    func splitEnds(_ text: ClassifiedUTF8, range: Range<Int>, into ends: inout [Int]) {
        var index = range.lowerBound
        let scanner = Scanner(text: text, end: range.upperBound)
        while index < range.upperBound {
            let end: Int
            switch self {
            case .gpt2: end = scanner.gpt2Match(at: index)
            case .gpt4(let maxDigits): end = scanner.gpt4Match(at: index, maxDigits: maxDigits)
            case .gpt4o: end = scanner.gpt4oMatch(at: index)
            }
            ends.append(end)
            index = end
        }
    }
}

/// The matching itself; every `…Match(at:)` returns the end of the match starting at `start`,
/// always past `start`.
private struct Scanner {
    let text: ClassifiedUTF8
    let end: Int

    // MARK: GPT-2

    func gpt2Match(at start: Int) -> Int {
        let first = text.scalar(at: start)
        if first.value == 0x27, let length = contraction(at: start + 1, ignoringCase: false) {
            return start + 1 + length
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one kind.
        var runStart = start
        var kind = first.classes
        if first.value == 0x20, start + 1 < end {
            let next = text.scalar(at: start + 1)
            if !next.classes.contains(.whitespace) {
                runStart = start + 1
                kind = next.classes
            }
        }
        if kind.contains(.letter) { return run(from: runStart) { $0.contains(.letter) } }
        if kind.contains(.number) { return run(from: runStart) { $0.contains(.number) } }
        if kind.isOther { return run(from: runStart) { $0.isOther } }
        return whitespaceMatch(at: start)
    }

    // MARK: GPT-4 (cl100k)

    func gpt4Match(at start: Int, maxDigits: Int) -> Int {
        let first = text.scalar(at: start)
        if first.value == 0x27, let length = contraction(at: start + 1, ignoringCase: true) {
            return start + 1 + length
        }
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if first.classes.contains(.letter) { return run(from: start) { $0.contains(.letter) } }
        let afterFirst = start + first.length
        if first.classes.isLetterPrefix, afterFirst < end, text.scalar(at: afterFirst).classes.contains(.letter) {
            return run(from: afterFirst) { $0.contains(.letter) }
        }
        // `\p{N}{1,3}`
        if first.classes.contains(.number) { return numberMatch(at: start, maxDigits: maxDigits) }
        if let symbolsEnd = symbolsMatch(at: start, first: first, trailingSlash: false) { return symbolsEnd }
        return newlineOrWhitespaceMatch(at: start)
    }

    // MARK: GPT-4o (o200k)

    func gpt4oMatch(at start: Int) -> Int {
        let first = text.scalar(at: start)
        // Both letter alternatives start with an optional `[^\r\n\p{L}\p{N}]`; the engine tries
        // taking it first, then leaving it out.
        var starts: (Int, Int?) = (start, nil)
        if first.classes.isLetterPrefix, start + first.length < end { starts = (start + first.length, start) }
        // `…[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|…)?`
        if let wordEnd = upperThenLowerRun(from: starts.0) ?? starts.1.flatMap(upperThenLowerRun) {
            return withContraction(after: wordEnd)
        }
        // `…[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|…)?`
        for wordStart in [starts.0, starts.1].compactMap({ $0 })
        where text.scalar(at: wordStart).classes.contains(.upperRun) {
            let upperEnd = run(from: wordStart) { $0.contains(.upperRun) }
            return withContraction(after: run(from: upperEnd) { $0.contains(.lowerRun) })
        }
        if first.classes.contains(.number) { return numberMatch(at: start, maxDigits: 3) }
        if let symbolsEnd = symbolsMatch(at: start, first: first, trailingSlash: true) { return symbolsEnd }
        return newlineOrWhitespaceMatch(at: start)
    }

    /// `[upper]*[lower]+` from `start`, with the backtracking of the greedy `[upper]*` (Lm, Lo
    /// and marks are in both classes, so the upper run may have to give some back).
    private func upperThenLowerRun(from start: Int) -> Int? {
        var index = start
        var endOfLastLower: Int?
        while index < end {
            let scalar = text.scalar(at: index)
            guard scalar.classes.contains(.upperRun) else { break }
            index += scalar.length
            if scalar.classes.contains(.lowerRun) { endOfLastLower = index }
        }
        if index < end, text.scalar(at: index).classes.contains(.lowerRun) {
            return run(from: index) { $0.contains(.lowerRun) }
        }
        return endOfLastLower
    }

    private func withContraction(after wordEnd: Int) -> Int {
        guard wordEnd < end, text.bytes[wordEnd] == 0x27,
              let length = contraction(at: wordEnd + 1, ignoringCase: true) else { return wordEnd }
        return wordEnd + 1 + length
    }

    // MARK: Shared pieces

    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*` (with `/` among the trailers for GPT-4o), or nil.
    private func symbolsMatch(at start: Int, first: (value: UInt32, length: Int, classes: ScalarClass),
                              trailingSlash: Bool) -> Int? {
        var runStart = start
        if first.value == 0x20 {
            guard start + 1 < end, text.scalar(at: start + 1).classes.isOther else { return nil }
            runStart = start + 1
        } else if !first.classes.isOther {
            return nil
        }
        var index = run(from: runStart) { $0.isOther }
        while index < end {
            let byte = text.bytes[index]
            guard byte == 0x0A || byte == 0x0D || (trailingSlash && byte == 0x2F) else { break }
            index += 1
        }
        return index
    }

    /// `\s*[\r\n]+|\s+(?!\S)|\s+` at a whitespace scalar.
    private func newlineOrWhitespaceMatch(at start: Int) -> Int {
        var index = start
        var endOfLastNewline: Int?
        while index < end {
            let scalar = text.scalar(at: index)
            guard scalar.classes.contains(.whitespace) else { break }
            index += scalar.length
            if scalar.classes.contains(.newline) { endOfLastNewline = index }
        }
        // `\s*` backs off to the last newline, which `[\r\n]+` then takes.
        if let endOfLastNewline { return endOfLastNewline }
        return whitespaceMatch(at: start)
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar: a run of whitespace, less its last scalar when a
    /// non-space follows and the run has more than one (so that scalar can lead the next word).
    private func whitespaceMatch(at start: Int) -> Int {
        var index = start
        var startOfLast = start
        while index < end {
            let scalar = text.scalar(at: index)
            guard scalar.classes.contains(.whitespace) else { break }
            startOfLast = index
            index += scalar.length
        }
        if index == start { return start + text.scalar(at: start).length }  // not whitespace: cannot happen
        if index == end || startOfLast == start { return index }
        return startOfLast
    }

    private func numberMatch(at start: Int, maxDigits: Int) -> Int {
        var index = start
        var count = 0
        while index < end, count < maxDigits {
            let scalar = text.scalar(at: index)
            guard scalar.classes.contains(.number) else { break }
            index += scalar.length
            count += 1
        }
        return index
    }

    @inline(__always)
    private func run(from start: Int, while belongs: (ScalarClass) -> Bool) -> Int {
        var index = start
        while index < end {
            let scalar = text.scalar(at: index)
            guard belongs(scalar.classes) else { break }
            index += scalar.length
        }
        return index
    }

    /// Length of `s|t|re|ve|m|ll|d` at `index` (after the apostrophe), or nil.
    private func contraction(at index: Int, ignoringCase: Bool) -> Int? {
        guard index < end else { return nil }
        func letter(_ offset: Int) -> UInt8? {
            guard index + offset < end else { return nil }
            let byte = text.bytes[index + offset]
            return ignoringCase && byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
        }
        switch letter(0) {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 1
        case UInt8(ascii: "r"), UInt8(ascii: "v"): return letter(1) == UInt8(ascii: "e") ? 2 : nil
        case UInt8(ascii: "l"): return letter(1) == UInt8(ascii: "l") ? 2 : nil
        case 0xC5 where ignoringCase && letter(1) == 0xBF: return 2  // ſ (U+017F) folds to s
        default: return nil
        }
    }
}
