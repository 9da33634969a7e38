import Foundation

/// The BPE model: vocabulary, merge ranks, and the per-pre-token encoding.
///
/// Merges run on ids, not strings: a pre-token becomes the ids of its characters (its bytes, for
/// byte-level tokenizers) and each merge replaces two ids by one via `MergeTable`.
struct BytePairModel: Sendable {
    struct Options: Sendable {
        /// Characters missing from the vocabulary become `<0xXX>` byte tokens (SentencePiece style).
        var byteFallback = false
        /// A pre-token that is itself a vocabulary entry is emitted whole, skipping the merges.
        var ignoreMerges = false
        /// Consecutive unknown characters become a single unknown token.
        var fuseUnknown = false
        var unknownToken: String?
    }

    let tokenToID: [String: Int]
    /// Token spelling by id (nil for ids the vocabulary skips).
    let idToToken: [String?]
    let merges: MergeTable
    let options: Options
    /// Id of the token spelling each byte in GPT-2's byte alphabet, -1 if absent.
    let byteIDs: [Int32]
    /// Id of each one-character token, for tokenizers that are not byte-level.
    let characterIDs: [UInt32: Int32]
    let unknownID: Int32?
    let cache = PieceCache()
    static let maximumID = 1 << 24

    /// `merges` are pairs of vocabulary spellings in rank order; `file` names the source for
    /// errors (`vocabularyFile` and `vocabularyField` where the vocabulary lives elsewhere, as
    /// `vocab.json` beside `merges.txt`). The merged token must be in the vocabulary, as
    /// `tokenizers` requires.
    init(vocabulary: [String: Int], merges rules: [(String, String)], options: Options, file: String,
         vocabularyFile: String? = nil, vocabularyField: String = "model.vocab") throws {
        tokenToID = vocabulary
        func entry(_ token: String) -> String {
            vocabularyField.isEmpty ? "\"\(token)\"" : "\(vocabularyField)[\"\(token)\"]"
        }
        // Ids index an array: check them all (non-negative, below the limit, one token each)
        // before sizing it, so a stray id is an error, not a trap or a multi-gigabyte allocation.
        var largestID = -1
        for (token, id) in vocabulary {
            guard id >= 0, id < Self.maximumID else {
                throw TokenizerError.invalidField(
                    file: vocabularyFile ?? file, field: entry(token), reason: "is \(id), not an id in 0...\(Self.maximumID - 1)")
            }
            largestID = max(largestID, id)
        }
        var spellings = [String?](repeating: nil, count: largestID + 1)
        var characters: [UInt32: Int32] = [:]
        for (token, id) in vocabulary {
            if let other = spellings[id] {
                let (first, second) = other < token ? (other, token) : (token, other)
                throw TokenizerError.invalidField(
                    file: vocabularyFile ?? file, field: entry(second), reason: "repeats id \(id) of \"\(first)\" (ids must be unique)")
            }
            spellings[id] = token
            let scalars = token.unicodeScalars
            if let scalar = scalars.first, scalars.index(after: scalars.startIndex) == scalars.endIndex {
                characters[scalar.value] = Int32(id)
            }
        }
        idToToken = spellings
        characterIDs = characters
        byteIDs = ByteLevelAlphabet.character.map { scalar in characters[scalar.value] ?? -1 }
        self.options = options
        if let unknown = options.unknownToken {
            guard let id = vocabulary[unknown] else {
                throw TokenizerError.invalidField(file: file, field: "model.unk_token", reason: "\"\(unknown)\" is not in the vocabulary")
            }
            unknownID = Int32(id)
        } else {
            unknownID = nil
        }
        // Ranks are stored as Int32; no real tokenizer has more than a few hundred thousand rules.
        guard rules.count < Self.maximumID else {
            throw TokenizerError.invalidField(
                file: file, field: file == "merges.txt" ? "(lines)" : "model.merges",
                reason: "holds \(rules.count) rules, above the limit \(Self.maximumID - 1)")
        }
        var table = MergeTable(capacity: rules.count)
        for (rank, (left, right)) in rules.enumerated() {
            guard let leftID = vocabulary[left] else { throw TokenizerError.unknownMergeToken(file: file, merge: rank, token: left) }
            guard let rightID = vocabulary[right] else { throw TokenizerError.unknownMergeToken(file: file, merge: rank, token: right) }
            guard let mergedID = vocabulary[left + right] else {
                throw TokenizerError.unknownMergeToken(file: file, merge: rank, token: left + right)
            }
            table.insert(left: Int32(leftID), right: Int32(rightID), rank: Int32(rank), merged: Int32(mergedID))
        }
        merges = table
    }

    /// Builds the model straight from ids, for vocabularies defined by their merges (M1's).
    init(tokenToID: [String: Int], idToToken: [String?], merges: MergeTable) {
        self.tokenToID = tokenToID
        self.idToToken = idToToken
        self.merges = merges
        options = Options()
        var characters: [UInt32: Int32] = [:]
        for (id, token) in idToToken.enumerated() {
            guard let token, token.unicodeScalars.count == 1, let scalar = token.unicodeScalars.first else { continue }
            characters[scalar.value] = Int32(id)
        }
        characterIDs = characters
        byteIDs = ByteLevelAlphabet.character.map { scalar in characters[scalar.value] ?? -1 }
        unknownID = nil
    }

    /// Encodes one pre-token (`piece`, UTF-8) and appends its ids to `output`. With `byteLevel`
    /// the symbols are the piece's bytes, otherwise its Unicode scalars.
    func encode(piece: UnsafeBufferPointer<UInt8>, byteLevel: Bool, into output: inout [Int]) {
        if piece.isEmpty { return }
        if piece.count == 1, byteLevel {
            let id = byteIDs[Int(piece[0])]
            if id >= 0 { output.append(Int(id)) } else if let unknownID { output.append(Int(unknownID)) }
            return
        }
        if options.ignoreMerges {
            let spelling = byteLevel ? ByteLevelAlphabet.encode(piece) : String(decoding: piece, as: UTF8.self)
            if let id = tokenToID[spelling] { output.append(id); return }
        }
        let cacheable = piece.count <= PieceCache.maximumKeyLength
        let hash = cacheable ? PieceCache.hash(piece) : 0
        if cacheable, cache.lookup(piece, hash: hash, appendingTo: &output) { return }
        var symbols = byteLevel ? byteSymbols(piece) : characterSymbols(piece)
        BytePairMerging.merge(&symbols, table: merges)
        let start = output.count
        for symbol in symbols { output.append(Int(symbol)) }
        if cacheable { cache.insert(piece, hash: hash, ids: output[start...]) }
    }

    private func byteSymbols(_ piece: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(piece.count)
        var previousWasUnknown = false
        for byte in piece {
            let id = byteIDs[Int(byte)]
            if id >= 0 {
                symbols.append(id)
                previousWasUnknown = false
            } else if let unknownID, !(options.fuseUnknown && previousWasUnknown) {
                symbols.append(unknownID)
                previousWasUnknown = true
            }
        }
        return symbols
    }

    private func characterSymbols(_ piece: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var symbols: [Int32] = []
        var previousWasUnknown = false
        for scalar in String(decoding: piece, as: UTF8.self).unicodeScalars {
            if let id = characterIDs[scalar.value] {
                symbols.append(id)
                previousWasUnknown = false
                continue
            }
            if options.byteFallback {
                let byteTokens = Array(String(scalar).utf8).map { tokenToID[String(format: "<0x%02X>", $0)] }
                if byteTokens.allSatisfy({ $0 != nil }) {
                    symbols.append(contentsOf: byteTokens.map { Int32($0!) })
                    previousWasUnknown = false
                    continue
                }
            }
            if let unknownID, !(options.fuseUnknown && previousWasUnknown) {
                symbols.append(unknownID)
                previousWasUnknown = true
            }
        }
        return symbols
    }
}
