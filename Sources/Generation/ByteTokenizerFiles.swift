import Foundation
import Tensors

/// A byte-level BPE tokenizer without merges (id b is byte b, as in M1's vocabulary) plus M1's
/// special tokens right after the bytes: enough to chat with a random-weight model end to end.
public enum ByteTokenizerFiles {
    public static let specialTokens = ["<pad>", "<begin_of_document>", "<beginning_of_sentence>", "<end_of_sentence>",
                                "<end_of_document>", "<function_call>"]

    /// Id of `<end_of_sentence>` in these files.
    public static let endOfSentenceID = 256 + 3

    /// GPT-2's printable stand-in for each byte.
    public static func byteCharacters() -> [Character] {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var characters = printable.map { Character(Unicode.Scalar(UInt8($0))) }
        var next = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            characters.append(Character(Unicode.Scalar(UInt32(256 + next))!))
            next += 1
        }
        var byByte = [Character](repeating: " ", count: 256)
        for (b, c) in zip(printable, characters) { byByte[b] = c }
        return byByte
    }

    /// Writes tokenizer.json and tokenizer_config.json into `directory`.
    public static func write(to directory: URL, vocabularySize: Int) throws {
        precondition(vocabularySize >= 256 + specialTokens.count, "vocabulary too small for a byte tokenizer")
        var vocab: [String: Int] = [:]
        for (b, c) in byteCharacters().enumerated() { vocab[String(c)] = b }
        let added: [[String: Any]] = specialTokens.enumerated().map { i, content in
            ["id": 256 + i, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
             "normalized": false, "special": true]
        }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        let tokenizer: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": NSNull(), "pre_tokenizer": byteLevel, "post_processor": NSNull(), "decoder": byteLevel,
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "fuse_unk": false,
                      "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": [] as [String]] as [String: Any],
        ]
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: tokenizer, options: [.sortedKeys]),
                             to: directory.appendingPathComponent("tokenizer.json"))
        let config: [String: Any] = [
            "bos_token": "<beginning_of_sentence>", "eos_token": "<end_of_sentence>",
            "tokenizer_class": "GPT2Tokenizer", "add_prefix_space": false,
        ]
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted]),
                             to: directory.appendingPathComponent("tokenizer_config.json"))
    }
}
