import Foundation
import XCTest
@testable import Tokenization

/// The budgeted regex engine against Swift's `Regex` (scalar semantics) on patterns that cannot
/// backtrack badly; they must find the same non-empty matches. (`\d` differs on purpose: it is
/// Nd only, as in Oniguruma; Swift's also takes ½ and ².)
final class RegexEngineTests: XCTestCase {
    func testAgreesWithSwiftRegex() throws {
        let patterns = [
            #"\p{N}{1,2}|▁?\p{L}+|\s+|[^\s\p{L}\p{N}▁]+"#, #"[$#@(]"#, #"\s+"#, #"a*?b|a"#, #"(a|ab)(c|bcd)"#, #"x{2,3}?"#,
            #"(?:ab)+|b"#, #"[a-c0-9]+"#, #"(?i:AB)c"#, #"a++b|a"#, #"(?>a+)b|a+"#, #"(a*)*b|a"#, #"^a|b$"#, #"\bfoo\b"#,
            #"[^\r\n\p{L}\p{N}]?\p{Lu}*\p{Ll}+"#, #"\x41|\u00e9|\x{1F600}"#, #"(?=ab)a|b(?!c)"#,
        ]
        let texts = [
            "Hello world", "I'm you'RE they'D 'll 'x '", "   a\n\n  b\t\tc \r\n d  ", "12345 1234567 ½²", "ΣΊΣΥΦΟΣ Straße ǅemal",
            "e\u{301}\u{302}x \u{301}a", "你好世界 こんにちは", "👨‍👩‍👧 🇫🇷 a/b//c\n/ ...\n\n", "aaab abcd abc bc xxxx ABc foo foobar $#@( ▁hi",
            "a\nb\nab\n", "Aé😀 AB ab", "",
        ]
        for pattern in patterns {
            let ours = try ScalarRegex(pattern, file: "test", field: "pattern")
            let swift = try Regex(pattern).matchingSemantics(.unicodeScalar).anchorsMatchLineEndings()
            for text in texts {
                let bytes = Array(text.utf8)
                let found = try bytes.withUnsafeBufferPointer { try ours.matches(in: $0) }
                let utf8 = text.utf8
                let expected = text.matches(of: swift).map {
                    utf8.distance(from: utf8.startIndex, to: $0.range.lowerBound)..<utf8.distance(from: utf8.startIndex, to: $0.range.upperBound)
                }.filter { !$0.isEmpty }
                XCTAssertEqual(found, expected, "\(pattern) on \(text.debugDescription)")
            }
        }
    }
}
