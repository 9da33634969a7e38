/// The decoders of `tokenizer.json` this module implements. Like `tokenizers`, each step maps
/// the list of token spellings to a new list, and the result is the concatenation.
indirect enum TokenDecoder: Sendable {
    /// GPT-2 alphabet back to bytes, then UTF-8 with U+FFFD for bad sequences. A token with a
    /// character outside the alphabet (an added token such as " foo") is taken literally.
    case byteLevel
    case replace(pattern: SplitPattern, content: String)
    /// Removes up to `start` leading and `stop` trailing copies of `content` from each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case fuse
    /// `<0xXX>` tokens back to bytes.
    case byteFallback
    case sequence([TokenDecoder])

    func decode(_ tokens: [String]) throws -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens { bytes.append(contentsOf: ByteLevelAlphabet.decode(token) ?? Array(token.utf8)) }
            return [String(decoding: bytes, as: UTF8.self)]
        case .replace(let pattern, let content):
            return try tokens.map {
                try Normalizer.replace(pattern, in: $0, with: content, limit: Normalizer.maximumGrowth * $0.utf8.count + 1024)
            }
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                var scalars = Substring(token).unicodeScalars
                var removed = 0
                while removed < start, scalars.first == content { scalars.removeFirst(); removed += 1 }
                removed = 0
                while removed < stop, scalars.last == content { scalars.removeLast(); removed += 1 }
                return String(scalars)
            }
        case .fuse:
            return [tokens.joined()]
        case .byteFallback:
            return Self.decodeByteTokens(tokens)
        case .sequence(let steps):
            return try steps.reduce(tokens) { try $1.decode($0) }
        }
    }

    /// Runs of `<0xXX>` become the text they spell; an invalid run becomes one U+FFFD per byte,
    /// as `tokenizers` does.
    private static func decodeByteTokens(_ tokens: [String]) -> [String] {
        var output: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let text = String(decoding: pending, as: UTF8.self)
            if Array(text.utf8) == pending {
                output.append(text)
            } else {
                output.append(contentsOf: Array(repeating: "\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            let utf8 = Array(token.utf8)
            if utf8.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">"),
               let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) {
                pending.append(byte)
            } else {
                flush()
                output.append(token)
            }
        }
        flush()
        return output
    }
}
