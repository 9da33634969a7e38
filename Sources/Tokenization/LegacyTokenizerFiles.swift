import Foundation

/// The pre-`tokenizer.json` layout GPT-2 shipped with: `vocab.json` + `merges.txt`, plus
/// optional `tokenizer_config.json`, `special_tokens_map.json` and `added_tokens.json`.
/// Always byte-level with the GPT-2 split rule, as `GPT2Tokenizer` is.
enum LegacyTokenizerFiles {
    static func load(directory: URL) throws -> Tokenizer {
        let vocabularyJSON = try JSONObject(parsing: Tokenizer.readFile(directory.appendingPathComponent("vocab.json")), file: "vocab.json")
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(vocabularyJSON.values.count)
        for (token, value) in vocabularyJSON.values {
            guard let id = JSONObject.integerValue(value) else { throw vocabularyJSON.invalid(token, "is not an integer") }
            vocabulary[token] = id
        }
        let mergesData = try Tokenizer.readFile(directory.appendingPathComponent("merges.txt"))
        let merges = try MergesFile.parse(Array(mergesData), file: "merges.txt")

        let config = try optionalJSON(directory, "tokenizer_config.json")
        let addPrefixSpace = try config?.bool("add_prefix_space", default: false) ?? false
        var addedTokens: [AddedToken] = []
        func add(_ token: AddedToken) {
            if let index = addedTokens.firstIndex(where: { $0.content == token.content }) {
                addedTokens[index].special = addedTokens[index].special || token.special
            } else {
                addedTokens.append(token)
            }
        }
        // tokenizer_config.json's added_tokens_decoder: {"50256": {"content": …, "special": …}}.
        if let decoderTable = try config?.optionalObject("added_tokens_decoder") {
            for key in decoderTable.values.keys.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) {
                guard let id = Int(key) else { throw decoderTable.invalid(key, "is not an integer id") }
                var entry = try decoderTable.object(key)
                entry = JSONObject(values: entry.values.merging(["id": id]) { $1 }, file: entry.file, path: entry.path)
                add(try TokenizerJSON.addedToken(entry))
            }
        }
        if let table = try optionalJSON(directory, "added_tokens.json") {
            for content in table.values.keys { add(AddedToken(content: content, id: try table.integer(content), special: false)) }
        }
        // Tokens named in special_tokens_map.json (and bos/eos/unk/pad of the config) are special.
        var specialNames: [String] = []
        for source in [try optionalJSON(directory, "special_tokens_map.json"), config].compactMap({ $0 }) {
            for key in ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token", "additional_special_tokens"] {
                specialNames += tokenNames(source.values[key])
            }
        }
        for name in specialNames {
            guard let id = vocabulary[name] ?? addedTokens.first(where: { $0.content == name })?.id else { continue }
            add(AddedToken(content: name, id: id, special: true, normalized: false))
        }

        let model = try BytePairModel(vocabulary: vocabulary, merges: merges, options: .init(), file: "merges.txt")
        return Tokenizer(model: model, normalizer: nil,
                         preTokenizer: .byteLevel(addPrefixSpace: addPrefixSpace, useRegex: true),
                         decoder: .byteLevel, postProcessor: .byteLevel, addedTokens: addedTokens)
    }

    private static func optionalJSON(_ directory: URL, _ name: String) throws -> JSONObject? {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONObject(parsing: Tokenizer.readFile(url), file: name)
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
