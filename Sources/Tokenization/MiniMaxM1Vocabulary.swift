import Foundation

/// The split rule in front of byte-level BPE.
public enum SplitRule: Sendable, Equatable {
    /// GPT-2's `'s|'t|… ?\p{L}+| ?\p{N}+|…`.
    case gpt2
    /// cl100k's: case-insensitive contractions, numbers in groups of up to three.
    case gpt4
    /// o200k's: case-aware letter runs with contractions attached.
    case gpt4o
    /// Any other regex (matched on Unicode scalars by Swift's engine; slower).
    case regex(String)

    var pattern: String {
        switch self {
        case .gpt2: return FastSplitPattern.gpt2Pattern
        case .gpt4: return FastSplitPattern.gpt4Pattern
        case .gpt4o: return FastSplitPattern.gpt4oPattern
        case .regex(let pattern): return pattern
        }
    }
}

extension Tokenizer {
    /// Added tokens of MiniMax-M1 whose ids are known (design notes §1.7).
    public static let m1AddedTokens: [AddedToken] = [
        AddedToken(content: "<pad>", id: 200_000, special: true),
        AddedToken(content: "<beginning_of_sentence>", id: 200_019, special: true),
        AddedToken(content: "<end_of_sentence>", id: 200_020, special: true),
        AddedToken(content: "<end_of_document>", id: 200_021, special: true),
        AddedToken(content: "<function_call>", id: 200_022, special: true),
    ]

    /// MiniMax-M1's vocabulary built from its `merges.txt`: id b (0…255) is byte b, merge i
    /// (0-based, line order) makes id 256 + i, and `addedTokens` sit from 200000 up.
    ///
    /// The real split rule is published only inside M1's `tokenizer.json`, which we do not have,
    /// so the caller states one; `.gpt4o` is the default.
    public static func m1(mergesFile: URL, splitRule: SplitRule = .gpt4o,
                          addedTokens: [AddedToken] = Tokenizer.m1AddedTokens) throws -> Tokenizer {
        let file = mergesFile.lastPathComponent
        let merges = try MergesFile.parse(Array(try readFile(mergesFile)), file: file)
        var tokenToID: [String: Int] = [:]
        tokenToID.reserveCapacity(256 + merges.count)
        var idToToken: [String?] = []
        idToToken.reserveCapacity(256 + merges.count)
        for scalar in ByteLevelAlphabet.character {
            tokenToID[String(scalar)] = idToToken.count
            idToToken.append(String(scalar))
        }
        var table = MergeTable(capacity: merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let leftID = tokenToID[left] else { throw TokenizerError.unknownMergeToken(file: file, merge: rank, token: left) }
            guard let rightID = tokenToID[right] else { throw TokenizerError.unknownMergeToken(file: file, merge: rank, token: right) }
            let merged = left + right
            let id = idToToken.count
            if tokenToID[merged] == nil { tokenToID[merged] = id }
            idToToken.append(merged)
            table.insert(left: Int32(leftID), right: Int32(rightID), rank: Int32(rank), merged: Int32(id))
        }
        let model = BytePairModel(tokenToID: tokenToID, idToToken: idToToken, merges: table)
        let split = try SplitPattern.fromRegex(splitRule.pattern, file: file, field: "splitRule")
        return Tokenizer(
            model: model, normalizer: nil,
            preTokenizer: .sequence([
                .split(pattern: split, behavior: .isolated, invert: false),
                .byteLevel(addPrefixSpace: false, useRegex: false),
            ]),
            decoder: .byteLevel, postProcessor: nil, addedTokens: addedTokens)
    }
}
