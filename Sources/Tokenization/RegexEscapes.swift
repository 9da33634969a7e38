/// Escapes (`\s`, `\p{L}`, `\x{…}`) and character classes (`[^\r\n\p{L}]`) of the split-regex
/// syntax; the rest of the parser is in RegexSyntax.swift.
extension RegexParser {
    mutating func parseEscape() throws -> RegexNode {
        guard let scalar = current else { throw error("trailing backslash") }
        switch scalar {
        case "A": index += 1; return .assertion(.textStart)
        case "z": index += 1; return .assertion(.textEnd)
        case "Z": index += 1; return .assertion(.textEndOrFinalNewline)
        case "b": index += 1; return .assertion(.wordBoundary)
        case "B": index += 1; return .assertion(.notWordBoundary)
        default:
            let item = try parseEscapedItem()
            if case .range(let low, let high) = item, low == high { return literal(low) }
            return .set(ScalarSet(items: [item], negated: false))
        }
    }

    /// After a backslash, an escape that names scalars (valid inside and outside classes).
    private mutating func parseEscapedItem() throws -> ScalarSet.Item {
        guard let scalar = current else { throw error("trailing backslash") }
        index += 1
        switch scalar {
        case "s": return .property(.whitespace, negated: false)
        case "S": return .property(.whitespace, negated: true)
        case "d": return .property(.digit, negated: false)
        case "D": return .property(.digit, negated: true)
        case "w": return .property(.word, negated: false)
        case "W": return .property(.word, negated: true)
        case "p", "P": return try parseProperty(negated: scalar == "P")
        case "n": return .range("\n", "\n")
        case "r": return .range("\r", "\r")
        case "t": return .range("\t", "\t")
        case "f": return .range("\u{0C}", "\u{0C}")
        case "v": return .range("\u{0B}", "\u{0B}")
        case "a": return .range("\u{07}", "\u{07}")
        case "e": return .range("\u{1B}", "\u{1B}")
        case "0": return .range("\0", "\0")
        case "x", "u": return try parseHexEscape(braced: scalar == "x" && current == "{", digits: scalar == "x" ? 2 : 4)
        default:
            guard !scalar.properties.isAlphabetic, scalar.properties.numericType == nil else {
                throw RegexSyntaxError(offset: index - 2, reason: "escape \\\(scalar) is not supported")
            }
            return .range(scalar, scalar)
        }
    }

    private mutating func parseHexEscape(braced: Bool, digits: Int) throws -> ScalarSet.Item {
        if braced { index += 1 }
        var value: UInt32 = 0, count = 0
        while let scalar = current, scalar.isASCII, let digit = UInt32(String(scalar), radix: 16),
              braced ? count < 8 : count < digits {
            value = value * 16 + digit
            count += 1
            index += 1
        }
        if braced {
            guard current == "}" else { throw error("unterminated \\x{…}") }
            index += 1
        }
        guard count > 0, let scalar = Unicode.Scalar(value) else { throw error("invalid hexadecimal escape") }
        return .range(scalar, scalar)
    }

    private mutating func parseProperty(negated: Bool) throws -> ScalarSet.Item {
        var name = ""
        if current == "{" {
            index += 1
            while let scalar = current, scalar != "}" { name.unicodeScalars.append(scalar); index += 1 }
            guard current == "}" else { throw error("unterminated \\p{…}") }
            index += 1
        } else if let scalar = current {
            name = String(scalar)
            index += 1
        }
        var negate = negated
        if name.hasPrefix("^") { negate.toggle(); name.removeFirst() }
        guard let property = ScalarProperty(name: name) else { throw error("Unicode property '\(name)' is not supported") }
        return .property(property, negated: negate)
    }

    mutating func parseClass(depth: Int) throws -> ScalarSet {
        var negated = false
        if current == "^" { negated = true; index += 1 }
        var items: [ScalarSet.Item] = []
        var first = true
        while true {
            guard let scalar = current else { throw error("missing ']'") }
            if scalar == "]", !first { index += 1; break }
            first = false
            if scalar == "[" { throw error("nested classes and [:name:] are not supported") }
            if scalar == "&", peek(1) == "&" { throw error("class intersection is not supported") }
            let item: ScalarSet.Item
            if scalar == "\\" { index += 1; item = try parseEscapedItem() } else { index += 1; item = .range(scalar, scalar) }
            if case .range(let low, let lowEnd) = item, low == lowEnd, current == "-", let next = peek(1), next != "]" {
                index += 1
                let highItem: ScalarSet.Item
                if next == "\\" { index += 1; highItem = try parseEscapedItem() } else { index += 1; highItem = .range(next, next) }
                guard case .range(let high, let highEnd) = highItem, high == highEnd, high.value >= low.value else {
                    throw error("invalid class range")
                }
                items.append(.range(low, high))
            } else {
                items.append(item)
            }
        }
        if caseInsensitive { items = items.flatMap(ScalarSet.caseVariants) }
        return ScalarSet(items: items, negated: negated)
    }
}
