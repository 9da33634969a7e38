/// The Unicode properties the split patterns ask about, packed in one byte per scalar.
///
/// Regex engines answer `\p{L}` with a table lookup; so do we, but once per scalar for all the
/// classes at the same time, from a 64 KiB table covering the Basic Multilingual Plane.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    /// `\p{L}`: Lu, Ll, Lt, Lm, Lo.
    static let letter = ScalarClass(rawValue: 1 << 0)
    /// `\p{N}`: Nd, Nl, No.
    static let number = ScalarClass(rawValue: 1 << 1)
    /// `\s`: the White_Space property (what Oniguruma and Rust's regex use in Unicode mode).
    static let whitespace = ScalarClass(rawValue: 1 << 2)
    /// `[\r\n]`.
    static let newline = ScalarClass(rawValue: 1 << 3)
    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`, the "upper" run of the GPT-4o pattern.
    static let upperRun = ScalarClass(rawValue: 1 << 4)
    /// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`, the "lower" run of the GPT-4o pattern.
    static let lowerRun = ScalarClass(rawValue: 1 << 5)

    /// `[^\s\p{L}\p{N}]`: punctuation, symbols, marks, controls…
    @inline(__always) var isOther: Bool { rawValue & 0b111 == 0 }
    /// `[^\r\n\p{L}\p{N}]`: the optional one-character prefix of the GPT-4-style letter runs.
    @inline(__always) var isLetterPrefix: Bool { rawValue & 0b1011 == 0 }

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ scalar: Unicode.Scalar) {
        var flags: UInt8 = 0
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter: flags = Self.letter.rawValue | Self.upperRun.rawValue
        case .lowercaseLetter: flags = Self.letter.rawValue | Self.lowerRun.rawValue
        case .modifierLetter, .otherLetter:
            flags = Self.letter.rawValue | Self.upperRun.rawValue | Self.lowerRun.rawValue
        case .nonspacingMark, .spacingMark, .enclosingMark:
            flags = Self.upperRun.rawValue | Self.lowerRun.rawValue
        case .decimalNumber, .letterNumber, .otherNumber: flags = Self.number.rawValue
        default: break
        }
        if scalar.properties.isWhitespace { flags |= Self.whitespace.rawValue }
        if scalar == "\r" || scalar == "\n" { flags |= Self.newline.rawValue }
        rawValue = flags
    }

    /// Classes of U+0000…U+FFFF (surrogate code points get no class).
    static let basicPlane: [UInt8] = (0..<0x10000).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return 0 }
        return ScalarClass(scalar).rawValue
    }
}

/// A read-only view of UTF-8 text that steps scalar by scalar and classifies each one.
///
/// The text comes from a Swift `String`, so it is valid UTF-8; should a malformed sequence
/// slip in anyway, each bad byte is read as a one-byte scalar of no class rather than trapping.
struct ClassifiedUTF8 {
    let bytes: UnsafeBufferPointer<UInt8>
    let table: UnsafeBufferPointer<UInt8>

    @inline(__always)
    func scalar(at index: Int) -> (value: UInt32, length: Int, classes: ScalarClass) {
        let lead = bytes[index]
        if lead < 0x80 {
            return (UInt32(lead), 1, ScalarClass(rawValue: table[Int(lead)]))
        }
        let (value, length) = decodeMultiByte(at: index, lead: lead)
        let classes: ScalarClass
        if value < 0x10000 {
            classes = ScalarClass(rawValue: table[Int(value)])
        } else if let scalar = Unicode.Scalar(value) {
            classes = ScalarClass(scalar)
        } else {
            classes = []
        }
        return (value, length, classes)
    }

    @inline(__always)
    private func decodeMultiByte(at index: Int, lead: UInt8) -> (UInt32, Int) {
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07)
        default: return (0xFFFD, 1)
        }
        guard index + length <= bytes.count else { return (0xFFFD, 1) }
        for offset in 1..<length {
            let continuation = bytes[index + offset]
            guard continuation & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            value = value << 6 | UInt32(continuation & 0x3F)
        }
        return (value, length)
    }
}
