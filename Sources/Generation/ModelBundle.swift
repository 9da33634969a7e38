import Foundation
import Kernels
import MiniMax
import Tokenization

/// Everything a model directory holds for generation, read once: the configuration and weights
/// (`config.json`, safetensors), the tokenizer (`tokenizer.json`, `vocab.json` + `merges.txt`, or
/// M1's `merges.txt` alone), the sampling defaults and end-of-sequence ids
/// (`generation_config.json`), and the chat template text of `tokenizer_config.json` when present.
/// The command line, the server and the trainer load models through this one type.
public struct ModelBundle: @unchecked Sendable {
    public let directory: URL
    public let model: MiniMaxModel
    /// Nil when the directory has no tokenizer files (ids in, ids out).
    public let tokenizer: Tokenizer?
    public let defaults: GenerationDefaults
    /// `chat_template` of `tokenizer_config.json`, for information: prompts are rendered by the
    /// native M1 template (`ChatFormat.ChatTemplate`), which reproduces the official one.
    public let chatTemplateSource: String?

    /// `requireTokenizer`: fail when the directory has no tokenizer instead of running without one.
    public init(directory: URL, precision: MatMulPrecision = .exact, requireTokenizer: Bool = false) throws {
        self.directory = directory
        model = try MiniMaxModel.load(directory: directory, precision: precision)
        let hasTokenizer = ["tokenizer.json", "vocab.json", "merges.txt"].contains {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
        tokenizer = hasTokenizer || requireTokenizer ? try Self.loadTokenizer(directory: directory) : nil
        defaults = try GenerationDefaults(directory: directory, configuration: model.configuration, tokenizer: tokenizer)
        chatTemplateSource = Self.chatTemplate(directory: directory)
    }

    /// The tokenizer of a model directory: `tokenizer.json`, or `vocab.json` + `merges.txt`, or —
    /// for a directory like the published MiniMax-M1 one that ships only `merges.txt` — M1's
    /// vocabulary built from the merges (byte b = id b, merge i = id 256 + i, added tokens from 200000)
    /// with a GPT-4o-style split rule (the real rule is not published outside `tokenizer.json`).
    public static func loadTokenizer(directory: URL) throws -> Tokenizer {
        let merges = directory.appendingPathComponent("merges.txt")
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory.appendingPathComponent("tokenizer.json").path),
           !fm.fileExists(atPath: directory.appendingPathComponent("vocab.json").path),
           fm.fileExists(atPath: merges.path) {
            return try Tokenizer.m1(mergesFile: merges)
        }
        return try Tokenizer.load(directory: directory)
    }

    static func chatTemplate(directory: URL) -> String? {
        let url = directory.appendingPathComponent("tokenizer_config.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        return json["chat_template"] as? String
    }
}

/// Sampling defaults and end-of-sequence ids of a model directory.
public struct GenerationDefaults: Sendable {
    public var temperature = 1.0
    public var topP = 0.95
    public var topK = 0
    public var endOfSequence: Set<Int> = []

    public init() {}

    /// Reads `generation_config.json` when present; end-of-sequence ids come from it, from
    /// `config.json`, and from M1's end-of-turn token `<end_of_sentence>` when the tokenizer has it.
    public init(directory: URL, configuration: Configuration, tokenizer: Tokenizer?) throws {
        endOfSequence = Set(configuration.eosTokenIDs)
        let url = directory.appendingPathComponent("generation_config.json")
        if let data = FileManager.default.contents(atPath: url.path) {
            guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw ConfigurationError.invalidJSON(path: url.path, reason: "not a JSON object")
            }
            if let sample = json["do_sample"] as? Bool, !sample { temperature = 0 }
            else if let t = json["temperature"] as? Double { temperature = t }
            if let p = json["top_p"] as? Double { topP = p }
            if let k = json["top_k"] as? Int { topK = k }
            if let eos = json["eos_token_id"] as? Int { endOfSequence.insert(eos) }
            if let eos = json["eos_token_id"] as? [Int] { endOfSequence.formUnion(eos) }
            // The file comes with the checkpoint: a value no sampler accepts is the file's error.
            func invalid(_ field: String, _ reason: String) -> ConfigurationError {
                .invalidField(path: url.path, field: field, reason: reason)
            }
            guard temperature >= 0, temperature.isFinite else { throw invalid("temperature", "must be a finite number ≥ 0") }
            guard topP > 0, topP <= 1 else { throw invalid("top_p", "must be in (0, 1]") }
            guard topK >= 0 else { throw invalid("top_k", "must be ≥ 0") }
            guard endOfSequence.allSatisfy({ $0 >= 0 }) else { throw invalid("eos_token_id", "holds a negative id") }
        }
        if let id = tokenizer?.id(of: "<end_of_sentence>") { endOfSequence.insert(id) }
    }
}
