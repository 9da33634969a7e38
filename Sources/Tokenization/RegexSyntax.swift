/// A parsed regular expression from a tokenizer file (Oniguruma / Ruby syntax, the dialect
/// `tokenizers` uses), restricted to what split patterns need.
///
/// Tokenizer files come from strangers, so patterns run on our own backtracking matcher
/// (`RegexProgram`) with a step budget rather than on an engine we cannot stop: Swift's `Regex`
/// has no budget or cancellation, and `(.*)*(.*)*x` kept it busy forever.
indirect enum RegexNode {
    case empty
    case set(ScalarSet)
    case concat([RegexNode])
    case alternation([RegexNode])
    /// `max` nil: unbounded. `possessive`: `X*+` (no backtracking into X once it has matched).
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool, possessive: Bool)
    case lookahead(RegexNode, negated: Bool)
    case atomic(RegexNode)
    case assertion(RegexAssertion)

    /// Whether the node can match without consuming anything (loops over it need a progress check).
    var isNullable: Bool {
        switch self {
        case .empty, .lookahead, .assertion: return true
        case .set: return false
        case .concat(let parts): return parts.allSatisfy(\.isNullable)
        case .alternation(let branches): return branches.contains(where: \.isNullable)
        case .repetition(let body, let min, _, _, _): return min == 0 || body.isNullable
        case .atomic(let body): return body.isNullable
        }
    }
}

enum RegexAssertion {
    case lineStart, lineEnd, textStart, textEnd, textEndOrFinalNewline, wordBoundary, notWordBoundary
}

/// Why a pattern was refused; the message says where.
struct RegexSyntaxError: Error, CustomStringConvertible {
    let offset: Int
    let reason: String
    var description: String { "\(reason) at character \(offset)" }
}

/// Recursive-descent parser over the pattern's scalars.
struct RegexParser {
    /// Counted repetitions above this (`x{100000}`) are refused: they expand into the program.
    static let maximumCount = 1000
    /// Group nesting above this is refused instead of risking the stack.
    static let maximumDepth = 200

    let scalars: [Unicode.Scalar]
    var index = 0
    var caseInsensitive = false

    static func parse(_ pattern: String) throws -> RegexNode {
        var parser = RegexParser(scalars: Array(pattern.unicodeScalars))
        let node = try parser.parseAlternation(depth: 0)
        guard parser.index == parser.scalars.count else { throw parser.error("unmatched ')'") }
        return node
    }

    private init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    func error(_ reason: String) -> RegexSyntaxError { RegexSyntaxError(offset: index, reason: reason) }
    var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
    func peek(_ offset: Int) -> Unicode.Scalar? { index + offset < scalars.count ? scalars[index + offset] : nil }

    private mutating func parseAlternation(depth: Int) throws -> RegexNode {
        guard depth < Self.maximumDepth else { throw error("groups nested deeper than \(Self.maximumDepth)") }
        let saved = caseInsensitive
        defer { caseInsensitive = saved }
        var branches = [try parseConcatenation(depth: depth)]
        while current == "|" {
            index += 1
            branches.append(try parseConcatenation(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseConcatenation(depth: Int) throws -> RegexNode {
        var parts: [RegexNode] = []
        while let scalar = current, scalar != "|", scalar != ")" {
            guard let atom = try parseAtom(depth: depth) else { continue }
            parts.append(try parseQuantifiers(atom))
        }
        return parts.count == 1 ? parts[0] : (parts.isEmpty ? .empty : .concat(parts))
    }

    private mutating func parseQuantifiers(_ atom: RegexNode) throws -> RegexNode {
        var node = atom
        var quantifiers = 0
        while let scalar = current {
            let start = index
            var bounds: (Int, Int?)
            switch scalar {
            case "*": bounds = (0, nil); index += 1
            case "+": bounds = (1, nil); index += 1
            case "?": bounds = (0, 1); index += 1
            case "{":
                guard let counted = try parseCount() else { return node }
                bounds = counted
            default: return node
            }
            if case .assertion = node { throw RegexSyntaxError(offset: start, reason: "quantifier after an anchor") }
            // `a*****…` nests one repetition per quantifier; the compiler recurses over them.
            quantifiers += 1
            guard quantifiers <= 8 else { throw RegexSyntaxError(offset: start, reason: "more than 8 quantifiers in a row") }
            var greedy = true, possessive = false
            if current == "?" { greedy = false; index += 1 } else if current == "+", scalar != "{" { possessive = true; index += 1 }
            node = .repetition(node, min: bounds.0, max: bounds.1, greedy: greedy, possessive: possessive)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}` or `{,m}`; nil (and nothing consumed) when the brace is a literal.
    private mutating func parseCount() throws -> (Int, Int?)? {
        var probe = index + 1
        func number() -> Int? {
            var value: Int?
            while probe < scalars.count, ("0"..."9").contains(scalars[probe]) {
                let digit = Int(scalars[probe].value) - 0x30
                value = min((value ?? 0) * 10 + digit, Self.maximumCount + 1)
                probe += 1
            }
            return value
        }
        let low = number()
        var high = low, hasComma = false
        if probe < scalars.count, scalars[probe] == "," {
            probe += 1
            hasComma = true
            high = number()
        }
        guard probe < scalars.count, scalars[probe] == "}", low != nil || (hasComma && high != nil) else { return nil }
        let minimum = low ?? 0
        let maximum = high
        if minimum > Self.maximumCount || (maximum ?? 0) > Self.maximumCount {
            throw error("repetition count above \(Self.maximumCount)")
        }
        if let maximum, maximum < minimum { throw error("repetition {\(minimum),\(maximum)} has max < min") }
        index = probe + 1
        return (minimum, maximum)
    }

    private mutating func parseAtom(depth: Int) throws -> RegexNode? {
        guard let scalar = current else { throw error("unexpected end") }
        index += 1
        switch scalar {
        case "(": return try parseGroup(depth: depth)
        case "[": return .set(try parseClass(depth: 0))
        case ".": return .set(ScalarSet(items: [.range("\n", "\n")], negated: true))
        case "^": return .assertion(.lineStart)
        case "$": return .assertion(.lineEnd)
        case "\\": return try parseEscape()
        case "*", "+", "?": throw RegexSyntaxError(offset: index - 1, reason: "quantifier with nothing to repeat")
        case "{":
            index -= 1
            if try parseCount() != nil { throw error("quantifier with nothing to repeat") }
            index += 1
            return literal(scalar)
        default: return literal(scalar)
        }
    }

    func literal(_ scalar: Unicode.Scalar) -> RegexNode {
        .set(ScalarSet(literal: scalar, caseInsensitive: caseInsensitive))
    }

    private mutating func parseGroup(depth: Int) throws -> RegexNode? {
        guard current == "?" else { return try closeGroup(try parseAlternation(depth: depth + 1)) }
        index += 1
        switch current {
        case ":": index += 1; return try closeGroup(try parseAlternation(depth: depth + 1))
        case "=", "!":
            let negated = current == "!"
            index += 1
            return .lookahead(try closeGroup(try parseAlternation(depth: depth + 1)), negated: negated)
        case ">": index += 1; return .atomic(try closeGroup(try parseAlternation(depth: depth + 1)))
        case "#":
            while let scalar = current, scalar != ")" { index += 1 }
            guard current == ")" else { throw error("unterminated comment") }
            index += 1
            return nil
        case "<" where peek(1) == "=" || peek(1) == "!":
            throw error("lookbehind is not supported")
        case "<", "P":
            if current == "P" { index += 1 }
            guard current == "<" else { throw error("unknown group syntax") }
            while let scalar = current, scalar != ">" { index += 1 }
            guard current == ">" else { throw error("unterminated group name") }
            index += 1
            return try closeGroup(try parseAlternation(depth: depth + 1))
        default:
            // Flags: (?i) for the rest of the enclosing group, (?i:…) / (?-i:…) for one group.
            var on = true, value = caseInsensitive
            while let scalar = current, scalar != ")", scalar != ":" {
                switch scalar {
                case "-": on = false
                case "i": value = on
                default: throw error("group flag '\(scalar)' is not supported")
                }
                index += 1
            }
            guard let end = current else { throw error("unterminated group") }
            index += 1
            if end == ")" { caseInsensitive = value; return nil }
            let saved = caseInsensitive
            caseInsensitive = value
            defer { caseInsensitive = saved }
            return try closeGroup(try parseAlternation(depth: depth + 1))
        }
    }

    private mutating func closeGroup(_ node: RegexNode) throws -> RegexNode {
        guard current == ")" else { throw error("missing ')'") }
        index += 1
        return node
    }
}
