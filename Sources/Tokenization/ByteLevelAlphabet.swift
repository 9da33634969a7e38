/// GPT-2's reversible byte ↔ character mapping.
///
/// Byte-level BPE vocabularies never store raw bytes: each byte is written as a printable
/// character so that merges files stay plain text. Printable Latin-1 bytes stand for themselves;
/// the 68 others (controls, space, NBSP, soft hyphen) are moved to U+0100 and up, in byte order.
/// So the space byte is written "Ġ" (U+0120) and newline "Ċ" (U+010A).
enum ByteLevelAlphabet {
    /// `character[b]` is the scalar that stands for byte `b`.
    static let character: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The inverse of `character`, indexed by scalar value (all lie below U+0144); -1 where the
    /// scalar stands for no byte.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in character.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The byte a scalar stands for, or nil when it is not one of the 256 alphabet characters.
    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteForScalar.count, byteForScalar[value] >= 0 else { return nil }
        return UInt8(byteForScalar[value])
    }

    /// The vocabulary spelling of raw bytes ("Ġhello" for " hello").
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(character[Int(byte)]) }
        return String(scalars)
    }

    /// The raw bytes a vocabulary spelling stands for, or nil when some character is not in the
    /// alphabet (added tokens such as " foo" are spelled literally).
    static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
