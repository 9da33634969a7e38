import XCTest
@testable import Tokenization

/// The hand-written matchers against our budgeted regex engine (scalar semantics) on awkward text,
/// and a few splits spelled out.
final class SplitPatternTests: XCTestCase {
    private func split(_ text: String, _ pattern: SplitPattern) -> [String] {
        var pieces = PreTokenizedText(text)
        do {
            try PreTokenizer.split(pattern: pattern, behavior: .isolated, invert: false).apply(to: &pieces)
        } catch {
            return ["error: \(error)"]
        }
        return pieces.pieces.map { String(decoding: pieces.bytes[$0], as: UTF8.self) }
    }

    private let awkward = [
        "Hello world", "I'm you'RE they'D 'll 'x '", "   a\n\n  b\t\tc \r\n d  ", "12345 1234567 ½²",
        "ΣΊΣΥΦΟΣ Straße ǅemal CamelCase HTTPServer iPhone", "e\u{301}\u{302}x \u{301}a ́", "你好世界 こんにちは 안녕",
        "👨‍👩‍👧 🇫🇷 a/b//c\n/ ...\n\n", "x  ", "  ", "\n", "'s", "a'S", "\u{3000}x\u{A0}y\u{2028}z",
    ]

    func testFastMatchersAgreeWithRegexEngine() throws {
        let patterns = [FastSplitPattern.gpt2Pattern, FastSplitPattern.gpt4Pattern, FastSplitPattern.gpt4oPattern]
        for pattern in patterns {
            let fast = try SplitPattern.fromRegex(pattern, file: "test", field: "pattern")
            guard case .fast = fast else { return XCTFail("\(pattern) not recognised") }
            let slow = SplitPattern.regex(try ScalarRegex(pattern, file: "test", field: "pattern"))
            for text in awkward {
                XCTAssertEqual(split(text, fast), split(text, slow), "\(pattern.prefix(20)) on \(text.debugDescription)")
            }
        }
    }

    func testKnownSplits() {
        XCTAssertEqual(split("I'm  fine!!\n", .fast(.gpt2)), ["I", "'m", " ", " fine", "!!", "\n"])
        XCTAssertEqual(split("Hello  12345 world\n\n  x", .fast(.gpt4(maxDigits: 3))),
                       ["Hello", " ", " ", "123", "45", " world", "\n\n", " ", " x"])
        XCTAssertEqual(split("HTTPServer iPhone's a/b\n", .fast(.gpt4o)), ["HTTPServer", " i", "Phone's", " a", "/b", "\n"])
        // Oniguruma's case folding takes ſ (long s) for s; Swift's regex engine does not, so this
        // one is checked against what `tokenizers` does rather than against the engine.
        XCTAssertEqual(split("ſ'ſ 'ſ", .fast(.gpt4o)), ["ſ'ſ", " '", "ſ"])
        XCTAssertEqual(split("ſ'ſ 'ſ", .fast(.gpt4(maxDigits: 3))), ["ſ", "'ſ", " '", "ſ"])
    }
}
