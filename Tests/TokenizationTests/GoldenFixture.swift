import Foundation
import TestSupport
@testable import Tokenization

/// One `Fixtures/<name>/` folder written by `scripts/tokenizer/make_goldens.py`: a tokenizer in
/// `tokenizer.json` (or legacy) layout and `expected.json` with what `tokenizers` produced.
struct GoldenFixture {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let decoded: String
        let ids_with_special: [Int]?
        let decoded_skipping_special: String?
    }

    private struct Expected: Decodable {
        let name: String
        let cases: [Case]
    }

    static let names = [
        "gpt2_bytelevel", "gpt4_split", "gpt4o_split", "normalized", "nfc_prepend_regex",
        "split_behaviours", "added_tokens", "legacy_gpt2",
    ]

    /// Fixtures whose pipeline keeps every byte, so decode(encode(text)) == text. (`added_tokens`
    /// normalizes to NFC, strips around [MASK], and its "café" token decodes through the byte
    /// alphabet to invalid UTF-8 — in `tokenizers` too.)
    static let lossless: Set<String> = ["gpt2_bytelevel", "gpt4_split", "gpt4o_split", "legacy_gpt2"]

    let name: String
    let directory: URL
    let cases: [Case]

    init(_ name: String) throws {
        self.name = name
        directory = TestSupport.fixtures("TokenizationTests").appendingPathComponent(name)
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        cases = try JSONDecoder().decode(Expected.self, from: data).cases
    }

    func tokenizer() throws -> Tokenizer { try Tokenizer.load(directory: directory) }
}
