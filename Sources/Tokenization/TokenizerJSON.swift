import Foundation

/// Reads the components of a `tokenizer.json` into this module's types.
enum TokenizerJSON {
    struct Parts {
        var model: BytePairModel
        var normalizer: Normalizer?
        var preTokenizer: PreTokenizer?
        var decoder: TokenDecoder?
        var postProcessor: PostProcessor?
        var addedTokens: [AddedToken]
    }

    static func parse(_ data: Data, file: String) throws -> Parts {
        let root = try TokenizerFileFields(parsing: data, file: file)
        let addedTokens = try root.isNull("added_tokens") ? [] : root.objects("added_tokens").map(addedToken)
        try AddedToken.checkDistinctIDs(addedTokens, file: file, field: "added_tokens")
        let model = try bytePairModel(root.object("model"))
        return Parts(
            model: model,
            normalizer: try root.optionalObject("normalizer").map(normalizer),
            preTokenizer: try root.optionalObject("pre_tokenizer").map(preTokenizer),
            decoder: try root.optionalObject("decoder").map(decoder),
            postProcessor: try root.optionalObject("post_processor").map { try postProcessor($0, model: model, addedTokens: addedTokens) },
            addedTokens: addedTokens)
    }

    static func addedToken(_ json: TokenizerFileFields) throws -> AddedToken {
        let special = try json.bool("special", default: false)
        let id = try json.integer("id")
        guard id >= 0, id < AddedToken.maximumID else {
            throw json.invalid("id", "is \(id), not an id in 0...\(AddedToken.maximumID - 1)")
        }
        return AddedToken(
            content: try json.string("content"), id: id, special: special,
            leftStrip: try json.bool("lstrip", default: false), rightStrip: try json.bool("rstrip", default: false),
            singleWord: try json.bool("single_word", default: false),
            normalized: try json.bool("normalized", default: !special))
    }

    // MARK: Model

    static func bytePairModel(_ json: TokenizerFileFields) throws -> BytePairModel {
        let type = try json.optionalString("type") ?? "BPE"  // old files leave the type out
        guard type == "BPE" else { throw TokenizerError.unsupportedComponent(file: json.file, field: json.fieldPath("type"), type: type) }
        for unsupported in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = try json.optionalString(unsupported), !value.isEmpty {
                throw json.invalid(unsupported, "\"\(value)\" is not supported (only empty or null)")
            }
        }
        if let dropout = json.values["dropout"] as? NSNumber, dropout.doubleValue > 0 {
            throw json.invalid("dropout", "\(dropout) is not supported (only null or 0)")
        }
        let vocabularyObject = try json.object("vocab")
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(vocabularyObject.values.count)
        for (token, value) in vocabularyObject.values {
            guard let id = TokenizerFileFields.integerValue(value) else { throw vocabularyObject.invalid(token, "is not an integer") }
            vocabulary[token] = id
        }
        let rules = try json.array("merges")
        var merges: [(String, String)] = []
        merges.reserveCapacity(rules.count)
        for (index, rule) in rules.enumerated() {
            if let line = rule as? String {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw TokenizerError.malformedMerge(file: json.file, merge: index, text: line) }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = rule as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                merges.append((left, right))
            } else {
                throw TokenizerError.malformedMerge(file: json.file, merge: index, text: "\(rule)")
            }
        }
        var options = BytePairModel.Options()
        options.byteFallback = try json.bool("byte_fallback", default: false)
        options.ignoreMerges = try json.bool("ignore_merges", default: false)
        options.fuseUnknown = try json.bool("fuse_unk", default: false)
        options.unknownToken = try json.optionalString("unk_token")
        return try BytePairModel(vocabulary: vocabulary, merges: merges, options: options, file: json.file)
    }

    // MARK: Normalizers

    static func normalizer(_ json: TokenizerFileFields) throws -> Normalizer {
        let type = try json.string("type")
        switch type {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Prepend": return .prepend(try json.string("prepend"))
        case "Replace": return .replace(pattern: try pattern(json.object("pattern")), content: try json.string("content"))
        case "Strip": return .strip(left: try json.bool("strip_left", default: true), right: try json.bool("strip_right", default: true))
        case "Sequence": return .sequence(try json.objects("normalizers").map(normalizer))
        default: throw TokenizerError.unsupportedComponent(file: json.file, field: json.fieldPath("type"), type: type)
        }
    }

    /// `{"String": "…"}` or `{"Regex": "…"}`.
    static func pattern(_ json: TokenizerFileFields) throws -> SplitPattern {
        if let literal = try json.optionalString("String") { return .literal(Array(literal.utf8)) }
        if let regex = try json.optionalString("Regex") {
            return try SplitPattern.fromRegex(regex, file: json.file, field: json.fieldPath("Regex"))
        }
        throw json.invalid("", "has neither a String nor a Regex")
    }

    // MARK: Pre-tokenizers

    static func preTokenizer(_ json: TokenizerFileFields) throws -> PreTokenizer {
        let type = try json.string("type")
        switch type {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try json.bool("add_prefix_space", default: true),
                              useRegex: try json.bool("use_regex", default: true))
        case "Split":
            let behaviorName = try json.string("behavior")
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw TokenizerError.unsupportedComponent(file: json.file, field: json.fieldPath("behavior"), type: behaviorName)
            }
            return .split(pattern: try pattern(json.object("pattern")), behavior: behavior, invert: try json.bool("invert", default: false))
        case "Digits":
            return .digits(individually: try json.bool("individual_digits", default: false))
        case "Sequence":
            return .sequence(try json.objects("pretokenizers").map(preTokenizer))
        default:
            throw TokenizerError.unsupportedComponent(file: json.file, field: json.fieldPath("type"), type: type)
        }
    }

    // MARK: Decoders

    static func decoder(_ json: TokenizerFileFields) throws -> TokenDecoder {
        let type = try json.string("type")
        switch type {
        case "ByteLevel": return .byteLevel
        case "Replace": return .replace(pattern: try pattern(json.object("pattern")), content: try json.string("content"))
        case "Fuse": return .fuse
        case "ByteFallback": return .byteFallback
        case "Strip":
            let content = try json.string("content")
            guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first else {
                throw json.invalid("content", "must be a single character")
            }
            return .strip(content: scalar, start: try json.optionalInteger("start", default: 0), stop: try json.optionalInteger("stop", default: 0))
        case "Sequence": return .sequence(try json.objects("decoders").map(decoder))
        default: throw TokenizerError.unsupportedComponent(file: json.file, field: json.fieldPath("type"), type: type)
        }
    }

    // MARK: Post-processors

    static func postProcessor(_ json: TokenizerFileFields, model: BytePairModel, addedTokens: [AddedToken]) throws -> PostProcessor {
        let type = try json.string("type")
        switch type {
        case "ByteLevel":
            return .byteLevel
        case "Sequence":
            return .sequence(try json.objects("processors").map { try postProcessor($0, model: model, addedTokens: addedTokens) })
        case "TemplateProcessing":
            return try template(json)
        case "RobertaProcessing", "BertProcessing":
            // `"cls": ["<s>", 0]`: the spelling and id of each marker.
            func marker(_ key: String) throws -> Int {
                let pair = try json.array(key)
                guard pair.count == 2, let id = TokenizerFileFields.integerValue(pair[1] as Any), id >= 0, id < AddedToken.maximumID else {
                    throw json.invalid(key, "is not a [token, id] pair with an id in 0...\(AddedToken.maximumID - 1)")
                }
                return id
            }
            return .template(prefix: [try marker("cls")], suffix: [try marker("sep")])
        default:
            throw TokenizerError.unsupportedComponent(file: json.file, field: json.fieldPath("type"), type: type)
        }
    }

    /// The `single` template: `[{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}, …]`.
    private static func template(_ json: TokenizerFileFields) throws -> PostProcessor {
        let specialTokens = try json.optionalObject("special_tokens")
        var prefix: [Int] = []
        var suffix: [Int] = []
        var seenSequence = false
        for item in try json.objects("single") {
            if item.values["Sequence"] != nil {
                seenSequence = true
            } else if let special = try item.optionalObject("SpecialToken") {
                let name = try special.string("id")
                guard let entry = try specialTokens?.optionalObject(name) else {
                    throw json.invalid("special_tokens", "has no entry for \"\(name)\"")
                }
                let ids = try entry.array("ids").map { value -> Int in
                    guard let id = TokenizerFileFields.integerValue(value), id >= 0, id < AddedToken.maximumID else {
                        throw entry.invalid("ids", "holds \(value), not an id in 0...\(AddedToken.maximumID - 1)")
                    }
                    return id
                }
                if seenSequence { suffix += ids } else { prefix += ids }
            } else {
                throw item.invalid("", "is neither a Sequence nor a SpecialToken")
            }
        }
        return .template(prefix: prefix, suffix: suffix)
    }
}
