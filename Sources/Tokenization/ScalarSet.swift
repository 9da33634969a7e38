/// The scalars one regex position accepts: a literal, `.`, `\s`, `\p{L}`, `[^\r\n\p{L}]`…
struct ScalarSet: Sendable {
    enum Item: Sendable {
        case range(Unicode.Scalar, Unicode.Scalar)
        case property(ScalarProperty, negated: Bool)
    }

    let items: [Item]
    let negated: Bool

    init(items: [Item], negated: Bool) {
        self.items = items
        self.negated = negated
    }

    /// One scalar, or its case variants under `(?i)`.
    init(literal: Unicode.Scalar, caseInsensitive: Bool) {
        let item = Item.range(literal, literal)
        self.init(items: caseInsensitive ? Self.caseVariants(item) : [item], negated: false)
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        var found = false
        for item in items {
            switch item {
            case .range(let low, let high): found = scalar.value >= low.value && scalar.value <= high.value
            case .property(let property, let negated): found = property.contains(scalar) != negated
            }
            if found { break }
        }
        return found != negated
    }

    /// The item plus the simple upper- and lower-case forms of the scalars it names (for
    /// ranges of up to 256 scalars, which covers the contractions `(?i:'s|'t|…)` need).
    static func caseVariants(_ item: Item) -> [Item] {
        guard case .range(let low, let high) = item, high.value - low.value < 256 else { return [item] }
        var variants = [item]
        for value in low.value...high.value {
            guard let scalar = Unicode.Scalar(value) else { continue }
            for mapped in [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping] {
                let scalars = mapped.unicodeScalars
                if scalars.count == 1, let other = scalars.first, other != scalar { variants.append(.range(other, other)) }
            }
        }
        return variants
    }
}

/// The Unicode classes a pattern may name: `\s`, `\d`, `\w` and `\p{…}` general categories
/// (Swift exposes no script property, so `\p{Han}` and friends are refused when parsing).
enum ScalarProperty: Sendable {
    case whitespace, digit, word
    case categories(Set<Unicode.GeneralCategory>)

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        switch self {
        case .whitespace: return properties.isWhitespace
        case .digit: return properties.generalCategory == .decimalNumber
        case .word:
            switch properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
            default: return false
            }
        case .categories(let set): return set.contains(properties.generalCategory)
        }
    }

    private static let groups: [String: [Unicode.GeneralCategory]] = [
        "L": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter],
        "M": [.nonspacingMark, .spacingMark, .enclosingMark],
        "N": [.decimalNumber, .letterNumber, .otherNumber],
        "P": [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
              .initialPunctuation, .finalPunctuation, .otherPunctuation],
        "S": [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol],
        "Z": [.spaceSeparator, .lineSeparator, .paragraphSeparator],
        "C": [.control, .format, .surrogate, .privateUse, .unassigned],
        "Lu": [.uppercaseLetter], "Ll": [.lowercaseLetter], "Lt": [.titlecaseLetter], "Lm": [.modifierLetter],
        "Lo": [.otherLetter], "Mn": [.nonspacingMark], "Mc": [.spacingMark], "Me": [.enclosingMark],
        "Nd": [.decimalNumber], "Nl": [.letterNumber], "No": [.otherNumber], "Pc": [.connectorPunctuation],
        "Pd": [.dashPunctuation], "Ps": [.openPunctuation], "Pe": [.closePunctuation], "Pi": [.initialPunctuation],
        "Pf": [.finalPunctuation], "Po": [.otherPunctuation], "Sm": [.mathSymbol], "Sc": [.currencySymbol],
        "Sk": [.modifierSymbol], "So": [.otherSymbol], "Zs": [.spaceSeparator], "Zl": [.lineSeparator],
        "Zp": [.paragraphSeparator], "Cc": [.control], "Cf": [.format], "Cs": [.surrogate], "Co": [.privateUse],
        "Cn": [.unassigned],
    ]

    private static let longNames: [String: String] = [
        "letter": "L", "mark": "M", "number": "N", "punctuation": "P", "symbol": "S", "separator": "Z",
        "other": "C", "uppercaseletter": "Lu", "lowercaseletter": "Ll", "titlecaseletter": "Lt",
        "modifierletter": "Lm", "otherletter": "Lo", "decimalnumber": "Nd", "digit": "Nd",
    ]

    /// A property by its short (`L`, `Nd`) or long (`Letter`, `Decimal_Number`) name; nil if unknown.
    init?(name: String) {
        if let categories = Self.groups[name] { self = .categories(Set(categories)); return }
        let folded = name.lowercased().filter { $0 != "_" && $0 != " " && $0 != "-" }
        if folded == "whitespace" || folded == "space" { self = .whitespace; return }
        if folded == "alnum" || folded == "word" { self = .word; return }
        guard let short = Self.longNames[folded], let categories = Self.groups[short] else { return nil }
        self = .categories(Set(categories))
    }
}
