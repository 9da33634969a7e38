import Foundation

/// The pre-`tokenizer.json` layout GPT-2 shipped with: `vocab.json` + `merges.txt`, plus
/// optional `tokenizer_config.json`, `special_tokens_map.json` and `added_tokens.json`.
/// Always byte-level with the GPT-2 split rule, as `GPT2Tokenizer` is.
enum LegacyTokenizerFiles {
    static func load(directory: URL) throws -> Tokenizer {
        try load { name in
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            return try Tokenizer.readFile(url)
        }
    }

    /// The same from file contents: `file(name)` is the named file's bytes, or nil when the
    /// directory lacks it (the fuzz target feeds files from memory through this).
    static func load(files file: (String) throws -> Data?) throws -> Tokenizer {
        func required(_ name: String) throws -> Data {
            guard let data = try file(name) else { throw TokenizerError.unreadableFile(file: name, reason: "no such file") }
            return data
        }
        let vocabularyJSON = try TokenizerFileFields(parsing: required("vocab.json"), file: "vocab.json")
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(vocabularyJSON.values.count)
        for (token, value) in vocabularyJSON.values {
            guard let id = TokenizerFileFields.integerValue(value) else { throw vocabularyJSON.invalid(token, "is not an integer") }
            vocabulary[token] = id
        }
        let mergesData = try required("merges.txt")
        let merges = try MergesFile.parse(Array(mergesData), file: "merges.txt")

        let model = try BytePairModel(vocabulary: vocabulary, merges: merges, options: .init(), file: "merges.txt",
                                       vocabularyFile: "vocab.json", vocabularyField: "")

        func optionalJSON(_ name: String) throws -> TokenizerFileFields? {
            try file(name).map { try TokenizerFileFields(parsing: $0, file: name) }
        }
        let config = try optionalJSON("tokenizer_config.json")
        let addPrefixSpace = try config?.bool("add_prefix_space", default: false) ?? false
        var addedTokens: [AddedToken] = []
        // Position by content: the three sources name the same tokens, and a list search per
        // token made 100,000 added tokens quadratic.
        var addedIndexByContent: [String: Int] = [:]
        func add(_ token: AddedToken, file: String, field: String) throws {
            guard token.id >= 0, token.id < AddedToken.maximumID else {
                throw TokenizerError.invalidField(
                    file: file, field: field, reason: "is \(token.id), not an id in 0...\(AddedToken.maximumID - 1)")
            }
            if let index = addedIndexByContent[token.content] {
                addedTokens[index].special = addedTokens[index].special || token.special
            } else {
                addedIndexByContent[token.content] = addedTokens.count
                addedTokens.append(token)
            }
        }
        // tokenizer_config.json's added_tokens_decoder: {"50256": {"content": …, "special": …}}.
        if let decoderTable = try config?.optionalObject("added_tokens_decoder") {
            for key in decoderTable.values.keys.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) {
                guard let id = Int(key) else { throw decoderTable.invalid(key, "is not an integer id") }
                var entry = try decoderTable.object(key)
                entry = TokenizerFileFields(values: entry.values.merging(["id": id]) { $1 }, file: entry.file, path: entry.path)
                try add(try TokenizerJSON.addedToken(entry), file: entry.file, field: entry.fieldPath("id"))
            }
        }
        if let table = try optionalJSON("added_tokens.json") {
            for content in table.values.keys.sorted() {
                try add(AddedToken(content: content, id: try table.integer(content), special: false),
                        file: table.file, field: table.fieldPath(content))
            }
        }
        // Tokens named in special_tokens_map.json (and bos/eos/unk/pad of the config) are special.
        var specialNames: [String] = []
        for source in [try optionalJSON("special_tokens_map.json"), config].compactMap({ $0 }) {
            for key in ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token", "additional_special_tokens"] {
                specialNames += tokenNames(source.values[key])
            }
        }
        for name in specialNames {
            guard let id = vocabulary[name] ?? addedIndexByContent[name].map({ addedTokens[$0].id }) else { continue }
            try add(AddedToken(content: name, id: id, special: true, normalized: false), file: "special_tokens_map.json", field: name)
        }

        try AddedToken.checkDistinctIDs(addedTokens, file: "tokenizer_config.json / added_tokens.json", field: "(added tokens)")
        return Tokenizer(model: model, normalizer: nil,
                         preTokenizer: .byteLevel(addPrefixSpace: addPrefixSpace, useRegex: true),
                         decoder: .byteLevel, postProcessor: .byteLevel, addedTokens: addedTokens)
    }

    /// `"<s>"`, `{"content": "<s>", …}` or a list of either.
    private static func tokenNames(_ value: Any?) -> [String] {
        switch value {
        case let name as String: return [name]
        case let object as [String: Any]: return (object["content"] as? String).map { [$0] } ?? []
        case let list as [Any]: return list.flatMap { tokenNames($0) }
        default: return []
        }
    }
}
