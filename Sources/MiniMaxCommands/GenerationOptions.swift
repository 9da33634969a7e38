import ArgumentParser
import Foundation
import Generation
import Kernels
import MiniMax
import Tokenization

/// Sampling and stopping flags shared by `generate` and `chat`. Unset flags fall back to the
/// model's `generation_config.json`, then to M1's recommendation (temperature 1.0, top-p 0.95).
struct SamplingOptions: ParsableArguments {
    @Option(name: .long, help: "Maximum new tokens (M1's \"40k\"/\"80k\" budgets are this). Default 512.")
    var maxTokens: Int = 512

    @Option(name: .long, help: "Sampling temperature; 0 = greedy.")
    var temperature: Double?

    @Option(name: .long, help: "Nucleus sampling threshold in (0, 1].")
    var topP: Double?

    @Option(name: .long, help: "Keep only the K most likely tokens (0 = off).")
    var topK: Int?

    @Option(name: .long, help: "Drop tokens less likely than min-p × the top token's probability.")
    var minP: Double?

    @Option(name: .long, help: "Random seed (same seed, same output).")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Stop when this text appears (repeatable); it is not printed.")
    var stop: [String] = []

    @Option(name: .long, help: "Stop after K consecutive tokens each sampled with probability > 0.99 (off by default).")
    var repetitionGuard: Int?

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        if let k = repetitionGuard, k < 1 { throw ValidationError("--repetition-guard must be at least 1, got \(k)") }
        try parameters(defaults: GenerationDefaults()).validate()
    }

    func parameters(defaults: GenerationDefaults) -> SamplingParameters {
        SamplingParameters(
            temperature: temperature ?? defaults.temperature, topK: topK ?? defaults.topK,
            topP: topP ?? defaults.topP, minP: minP ?? 0, seed: seed)
    }

    func stopConditions(endOfSequence: Set<Int>) -> StopConditions {
        StopConditions(
            endOfSequenceTokenIDs: endOfSequence, stopStrings: stop, maxNewTokens: maxTokens,
            repetitionGuard: repetitionGuard.map { RepetitionGuard(consecutiveTokens: $0) })
    }
}

/// Sampling defaults and end-of-sequence ids of a model directory.
struct GenerationDefaults {
    var temperature = 1.0
    var topP = 0.95
    var topK = 0
    var endOfSequence: Set<Int> = []

    init() {}

    /// Reads `generation_config.json` when present; end-of-sequence ids come from it, from
    /// `config.json`, and from M1's end-of-turn token `<end_of_sentence>` when the tokenizer has it.
    init(directory: URL, configuration: Configuration, tokenizer: Tokenizer?) throws {
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
        }
        if let id = tokenizer?.id(of: "<end_of_sentence>") { endOfSequence.insert(id) }
    }
}

/// A model directory loaded for generation: weights, tokenizer (when present) and defaults.
struct LoadedModel {
    let directory: URL
    let model: MiniMaxModel
    let tokenizer: Tokenizer?
    let defaults: GenerationDefaults

    init(_ options: ModelOptions, requireTokenizer: Bool) throws {
        if let threads = options.threads { Kernels.Parallel.threadCount = threads }
        let directory = options.directory
        self.directory = directory
        model = try MiniMaxModel.load(directory: directory, precision: options.precision)
        let hasTokenizer = ["tokenizer.json", "vocab.json", "merges.txt"].contains {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
        tokenizer = hasTokenizer || requireTokenizer ? try loadTokenizer(directory: directory) : nil
        defaults = try GenerationDefaults(directory: directory, configuration: model.configuration, tokenizer: tokenizer)
    }
}
