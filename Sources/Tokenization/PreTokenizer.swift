/// The pre-tokenizers of `tokenizer.json` this module implements.
///
/// Pre-tokenizers cut text into pieces that BPE encodes independently. `ByteLevel` also decides
/// that BPE works on bytes (spelled in GPT-2's alphabet) rather than characters; here that
/// spelling is implicit — the model maps bytes to ids directly — so the pieces stay plain UTF-8.
indirect enum PreTokenizer: Sendable {
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(pattern: SplitPattern, behavior: SplitBehavior, invert: Bool)
    case digits(individually: Bool)
    case sequence([PreTokenizer])

    /// Whether BPE should see bytes rather than characters.
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .split, .digits: return false
        case .sequence(let steps): return steps.contains { $0.isByteLevel }
        }
    }

    func apply(to text: inout PreTokenizedText) throws {
        switch self {
        case .sequence(let steps):
            for step in steps { try step.apply(to: &text) }
        case .byteLevel(let addPrefixSpace, let useRegex):
            if addPrefixSpace { prefixSpaces(&text) }
            if useRegex { try split(&text, pattern: .fast(.gpt2), behavior: .isolated, invert: false) }
        case .split(let pattern, let behavior, let invert):
            try split(&text, pattern: pattern, behavior: behavior, invert: invert)
        case .digits(let individually):
            splitDigits(&text, individually: individually)
        }
    }

    /// `tokenizers` prepends the space to every piece that does not start with one.
    private func prefixSpaces(_ text: inout PreTokenizedText) {
        for index in text.pieces.indices {
            let piece = text.pieces[index]
            guard text.bytes[piece.lowerBound] != 0x20 else { continue }
            let start = text.bytes.count
            text.bytes.append(0x20)
            text.bytes.append(contentsOf: text.bytes[piece])
            text.pieces[index] = start..<text.bytes.count
        }
    }

    private func split(_ text: inout PreTokenizedText, pattern: SplitPattern, behavior: SplitBehavior, invert: Bool) throws {
        let pieces = text.pieces
        var output: [Range<Int>] = []
        output.reserveCapacity(pieces.count * 4)
        try text.withClassifiedText { classified in
            for piece in pieces {
                if case .fast(let fast) = pattern, behavior == .isolated, !invert {
                    // The common case, without building segments: matches tile the piece.
                    var ends: [Int] = []
                    fast.splitEnds(classified, range: piece, into: &ends)
                    var start = piece.lowerBound
                    for end in ends { output.append(start..<end); start = end }
                } else {
                    behavior.pieces(from: try pattern.segments(in: classified, range: piece, invert: invert), into: &output)
                }
            }
        }
        text.pieces = output.filter { !$0.isEmpty }
    }

    /// Numbers (`char::is_numeric`: Nd, Nl, No) isolated from the rest, one by one or in runs.
    private func splitDigits(_ text: inout PreTokenizedText, individually: Bool) {
        let pieces = text.pieces
        var output: [Range<Int>] = []
        text.withClassifiedText { classified in
            for piece in pieces {
                var segmentStart = piece.lowerBound
                var segmentIsNumber = false
                var index = piece.lowerBound
                while index < piece.upperBound {
                    let scalar = classified.scalar(at: index)
                    let isNumber = scalar.classes.contains(.number)
                    if index > segmentStart, isNumber != segmentIsNumber || (isNumber && individually) {
                        output.append(segmentStart..<index)
                        segmentStart = index
                    }
                    segmentIsNumber = isNumber
                    index += scalar.length
                }
                if segmentStart < piece.upperBound { output.append(segmentStart..<piece.upperBound) }
            }
        }
        text.pieces = output
    }
}
