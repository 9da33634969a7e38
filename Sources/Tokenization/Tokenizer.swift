import Foundation

/// A Hugging Face compatible byte-level BPE tokenizer.
///
/// Encoding runs the `tokenizers` pipeline: added tokens are cut out of the raw text, the rest
/// is normalized, pre-tokenized into pieces, and each piece is BPE-encoded. Decoding maps ids to
/// spellings and runs the decoder chain. Immutable after loading apart from an internal,
/// lock-protected cache, so one instance can serve many threads.
public final class Tokenizer: Sendable {
    let model: BytePairModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let decoder: TokenDecoder?
    let postProcessor: PostProcessor?
    /// Every added token, in file order.
    public let addedTokens: [AddedToken]
    private let rawTokenMatcher: AddedTokenMatcher
    private let normalizedTokenMatcher: AddedTokenMatcher
    private let addedTokenByID: [Int: AddedToken]
    private let addedTokenIDByContent: [String: Int]
    private let byteLevel: Bool

    init(model: BytePairModel, normalizer: Normalizer?, preTokenizer: PreTokenizer?, decoder: TokenDecoder?,
         postProcessor: PostProcessor?, addedTokens: [AddedToken]) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.decoder = decoder
        self.postProcessor = postProcessor
        self.addedTokens = addedTokens
        // Without a normalizer there is nothing to tell the two kinds apart.
        rawTokenMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized || normalizer == nil })
        normalizedTokenMatcher = AddedTokenMatcher(normalizer == nil ? [] : addedTokens.filter { $0.normalized })
        addedTokenByID = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        addedTokenIDByContent = Dictionary(addedTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { first, _ in first })
        byteLevel = preTokenizer?.isByteLevel ?? false
    }

    /// Loads `tokenizer.json` from `directory`, or else the older `vocab.json` + `merges.txt`
    /// layout (with `tokenizer_config.json`, `special_tokens_map.json` and `added_tokens.json`
    /// when present).
    public static func load(directory: URL) throws -> Tokenizer {
        let fileManager = FileManager.default
        let tokenizerJSON = directory.appendingPathComponent("tokenizer.json")
        if fileManager.fileExists(atPath: tokenizerJSON.path) {
            return try Tokenizer(tokenizerJSON: try readFile(tokenizerJSON), source: "tokenizer.json")
        }
        let vocabulary = directory.appendingPathComponent("vocab.json")
        let merges = directory.appendingPathComponent("merges.txt")
        if fileManager.fileExists(atPath: vocabulary.path), fileManager.fileExists(atPath: merges.path) {
            return try LegacyTokenizerFiles.load(directory: directory)
        }
        throw TokenizerError.noTokenizerFiles(directory: directory.path)
    }

    /// Parses the contents of a `tokenizer.json`; `source` names it in error messages.
    public convenience init(tokenizerJSON: Data, source: String) throws {
        let parts = try TokenizerJSON.parse(tokenizerJSON, file: source)
        self.init(model: parts.model, normalizer: parts.normalizer, preTokenizer: parts.preTokenizer,
                  decoder: parts.decoder, postProcessor: parts.postProcessor, addedTokens: parts.addedTokens)
    }

    // MARK: Encoding

    /// The ids of `text`. With `addSpecialTokens`, the post-processor's template (BOS / EOS …)
    /// is applied. Added tokens in the text (`<end_of_sentence>`) always encode as themselves.
    public func encode(_ text: String, addSpecialTokens: Bool = false) throws -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3)
        for segment in rawTokenMatcher.split(text) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let raw):
                let normalized = try normalizer?.apply(raw) ?? raw
                for inner in normalizedTokenMatcher.split(normalized) {
                    switch inner {
                    case .token(let id): ids.append(id)
                    case .text(let piece): try encodeOrdinaryText(piece, into: &ids)
                    }
                }
            }
        }
        if addSpecialTokens, let postProcessor { ids = postProcessor.apply(ids) }
        return ids
    }

    /// `encode` for bytes that should be UTF-8; throws `invalidUTF8` naming the first bad byte.
    public func encode<Bytes: Collection>(utf8 bytes: Bytes, addSpecialTokens: Bool = false) throws -> [Int]
    where Bytes.Element == UInt8 {
        let array = Array(bytes)
        let text = String(decoding: array, as: UTF8.self)
        if !text.utf8.elementsEqual(array) {
            let firstBad = zip(text.utf8, array).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            throw TokenizerError.invalidUTF8(byteOffset: firstBad ?? min(text.utf8.count, array.count))
        }
        return try encode(text, addSpecialTokens: addSpecialTokens)
    }

    /// Pre-tokenizes and BPE-encodes text that holds no added token.
    private func encodeOrdinaryText(_ text: String, into ids: inout [Int]) throws {
        var pieces = PreTokenizedText(text)
        try preTokenizer?.apply(to: &pieces)
        pieces.bytes.withUnsafeBufferPointer { bytes in
            for piece in pieces.pieces {
                model.encode(piece: UnsafeBufferPointer(rebasing: bytes[piece]), byteLevel: byteLevel, into: &ids)
            }
        }
    }

    // MARK: Decoding

    /// The text of `ids`, through the decoder chain; with `skipSpecialTokens`, special added
    /// tokens are left out. Throws `unknownTokenID` for an id no token has.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let added = addedTokenByID[id] {
                if skipSpecialTokens, added.special { continue }
                tokens.append(added.content)
            } else if let spelling = token(of: id) {
                tokens.append(spelling)
            } else {
                throw TokenizerError.unknownTokenID(id)
            }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return try decoder.decode(tokens).joined()
    }

    // MARK: Vocabulary

    /// The id of a token spelling (added tokens first, then the BPE vocabulary).
    public func id(of token: String) -> Int? {
        addedTokenIDByContent[token] ?? model.tokenToID[token]
    }

    /// The spelling of an id, in the vocabulary's alphabet ("Ġhello" for a byte-level " hello").
    public func token(of id: Int) -> String? {
        if let added = addedTokenByID[id] { return added.content }
        guard id >= 0, id < model.idToToken.count else { return nil }
        return model.idToToken[id]
    }

    /// One more than the largest id in use: the number of embedding rows the ids need.
    public var vocabularySize: Int {
        max(model.idToToken.count, (addedTokens.map(\.id).max() ?? -1) + 1)
    }

    /// Ids of the added tokens marked special (dropped by `skipSpecialTokens`).
    public var specialTokenIDs: Set<Int> {
        Set(addedTokens.filter(\.special).map(\.id))
    }

    static func readFile(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(file: url.lastPathComponent, reason: (error as NSError).localizedDescription)
        }
    }
}
