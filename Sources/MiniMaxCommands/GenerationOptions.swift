import ArgumentParser
import Foundation
import Generation
import Kernels
import MiniMax
import Tokenization

/// Sampling and stopping flags shared by `generate` and `chat`. Unset flags fall back to the
/// model's `generation_config.json`, then to M1's recommendation (temperature 1.0, top-p 0.95).
struct SamplingOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Maximum new tokens (M1's \"40k\"/\"80k\" budgets are this). Default 512.")
    var maxTokens: Int = 512

    @Option(name: .long, parsing: .unconditional, help: "Sampling temperature; 0 = greedy.")
    var temperature: Double?

    @Option(name: .long, parsing: .unconditional, help: "Nucleus sampling threshold in (0, 1].")
    var topP: Double?

    @Option(name: .long, parsing: .unconditional, help: "Keep only the K most likely tokens (0 = off).")
    var topK: Int?

    @Option(name: .long, parsing: .unconditional, help: "Drop tokens less likely than min-p × the top token's probability.")
    var minP: Double?

    @Option(name: .long, parsing: .unconditional, help: "Random seed (same seed, same output).")
    var seed: UInt64 = 0

    @Option(name: .long, parsing: .unconditionalSingleValue, help: "Stop when this text appears (repeatable); it is not printed.")
    var stop: [String] = []

    @Option(name: .long, parsing: .unconditional, help: "Stop after K consecutive tokens each sampled with probability > 0.99 (off by default).")
    var repetitionGuard: Int?

    @Option(name: .long, parsing: .unconditional, help: "OpenAI's presence penalty in [-2, 2]: subtracted once from the logit of every token already generated (as the server's).")
    var presencePenalty: Double = 0

    @Option(name: .long, parsing: .unconditional, help: "OpenAI's frequency penalty in [-2, 2]: subtracted per occurrence from the logit of every token already generated (as the server's).")
    var frequencyPenalty: Double = 0

    @Option(name: .long, parsing: .unconditional, help: "llama.cpp's repetition penalty (> 0, 1 = off): the logits of tokens among the last --repeat-last-n of prompt and output are divided by it (multiplied when negative).")
    var repeatPenalty: Double = 1

    @Option(name: .long, parsing: .unconditional, help: "Tokens --repeat-penalty looks back over.")
    var repeatLastN: Int = 64

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        if let k = repetitionGuard, k < 1 { throw ValidationError("--repetition-guard must be at least 1, got \(k)") }
        if stop.contains("") { throw ValidationError("--stop must not be empty") }
        do {
            try parameters(defaults: GenerationDefaults()).validate()
            try penalties.validate()
        } catch SamplingError.invalidParameter(let name, let value, let reason) {
            throw ValidationError("\(Self.flag(for: name)) \(value): \(reason)")
        }
    }

    /// The flag that sets a `SamplingParameters` field, for messages.
    static func flag(for parameter: String) -> String {
        let flags = [
            "temperature": "--temperature", "topK": "--top-k", "topP": "--top-p", "minP": "--min-p",
            "presencePenalty": "--presence-penalty", "frequencyPenalty": "--frequency-penalty",
            "repetitionPenalty": "--repeat-penalty", "repetitionWindow": "--repeat-last-n",
        ]
        return flags[parameter] ?? parameter
    }

    func parameters(defaults: GenerationDefaults) -> SamplingParameters {
        SamplingParameters(
            temperature: temperature ?? defaults.temperature, topK: topK ?? defaults.topK,
            topP: topP ?? defaults.topP, minP: minP ?? 0, seed: seed)
    }

    var penalties: TokenPenalties {
        TokenPenalties(presence: presencePenalty, frequency: frequencyPenalty, repetition: repeatPenalty, repetitionWindow: repeatLastN)
    }

    func stopConditions(endOfSequence: Set<Int>) -> StopConditions {
        StopConditions(
            endOfSequenceTokenIDs: endOfSequence, stopStrings: stop, maxNewTokens: maxTokens,
            repetitionGuard: repetitionGuard.map { RepetitionGuard(consecutiveTokens: $0) })
    }
}

extension ModelBundle {
    /// Loads the directory named by `--model` with the options' thread count and precision.
    init(_ options: ModelOptions, requireTokenizer: Bool) throws {
        options.applyThreadCount()
        try self.init(directory: options.directory, precision: options.precision, requireTokenizer: requireTokenizer)
    }
}

extension ModelOptions {
    /// The weights alone (no tokenizer), with the options' thread count and precision.
    func loadModel() throws -> MiniMaxModel {
        applyThreadCount()
        return try MiniMaxModel.load(directory: directory, precision: precision)
    }
}
