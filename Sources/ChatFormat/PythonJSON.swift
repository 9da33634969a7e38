/// Serialises `JSONValue` exactly as Python's `json.dumps(x, ensure_ascii=False)` does, which is
/// what transformers' `tojson` filter calls: `", "` and `": "` separators, non-ASCII left as is,
/// keys in insertion order, floats in `repr` form.
public enum PythonJSON {
    public static func dumps(_ value: JSONValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number): out += numberText(number)
        case .string(let string): writeString(string, to: &out)
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += ", " }
                write(element, to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += ", " }
                writeString(member.key, to: &out)
                out += ": "
                write(member.value, to: &out)
            }
            out += "}"
        }
    }

    static func numberText(_ number: JSONNumber) -> String {
        if number.isInteger {
            // Python's int() drops the sign of zero; JSON forbids leading zeros, so that is all.
            let digits = number.literal.drop(while: { $0 == "-" })
            return digits.allSatisfy({ $0 == "0" }) ? "0" : number.literal
        }
        return floatRepr(Double(number.literal) ?? .nan)
    }

    private static func writeString(_ string: String, to out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when the
    /// decimal exponent is in [-4, 16), else `d.ddde±XX`; `Infinity` / `NaN` as json.dumps writes them.
    public static func floatRepr(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0.0" }
        // Swift's description also gives the shortest round-trip digits; only the layout differs.
        let (digits, pointPosition) = decimalDigits(of: Swift.abs(value).description)
        let count = digits.count
        if pointPosition > -4 && pointPosition <= 16 {
            if pointPosition <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
            }
            if pointPosition >= count {
                return sign + digits + String(repeating: "0", count: pointPosition - count) + ".0"
            }
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            return sign + digits[..<split] + "." + digits[split...]
        }
        let exponent = pointPosition - 1
        let mantissa = count > 1 ? String(digits.prefix(1)) + "." + digits.dropFirst() : digits
        let exponentDigits = String(Swift.abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+")
            + (exponentDigits.count < 2 ? "0" : "") + exponentDigits
    }

    /// Splits a positive decimal literal into significant digits and the position of the decimal
    /// point relative to them (value = 0.d₁d₂… × 10^position).
    private static func decimalDigits(of text: String) -> (String, Int) {
        let parts = text.lowercased().split(separator: "e", maxSplits: 1)
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = String(mantissa[0])
        let fraction = mantissa.count > 1 ? String(mantissa[1]) : ""
        var digits = Substring(integerPart + fraction)
        var position = integerPart.count + exponent
        while digits.first == "0" { digits = digits.dropFirst(); position -= 1 }
        while digits.last == "0" { digits = digits.dropLast() }
        return (digits.isEmpty ? "0" : String(digits), position)
    }
}
