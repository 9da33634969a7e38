import Generation
import Serving

/// The fields chat and completions requests share: sampling, stopping, penalties, `n`, streaming.
/// Unset sampling fields take the model's generation defaults (`generation_config.json`).
struct SamplingRequest {
    var temperature: Double?
    var topP: Double?
    var topK: Int?
    var minP: Double?
    var seed: Int?
    /// `max_completion_tokens`, else `max_tokens`; nil when neither was given.
    var maxTokens: Int?
    /// The name of the field `maxTokens` came from, for errors.
    var maxTokensField = "max_tokens"
    var stop: [String] = []
    var n = 1
    var presencePenalty = 0.0
    var frequencyPenalty = 0.0
    var stream = false
    var includeUsage = false
    /// vLLM's and llama.cpp's `ignore_eos`: generate through end-of-sequence tokens (benchmarks).
    var ignoreEOS = false

    init(_ body: FieldReader, options: ServerOptions, maxContext: Int) throws {
        temperature = try body.double("temperature", in: 0...100)
        topP = try body.double("top_p", in: 0...1)
        if topP == 0 { throw APIError.invalid("top_p", "must be greater than 0 and at most 1, got 0") }
        topK = try body.int("top_k", in: -1...1_000_000)
        minP = try body.double("min_p", in: 0...1)
        seed = try body.int("seed", in: Int.min...Int.max)
        let contextLimit = max(maxContext, 1)
        for key in ["max_tokens", "max_completion_tokens"] {
            guard let value = body.value(key) else { continue }
            let tokens = try FieldReader.integer(value, field: key)
            guard tokens >= 1 else { throw APIError.invalid(key, "must be at least 1, got \(tokens)") }
            guard tokens <= contextLimit else {
                throw APIError.invalid(key, "must be at most \(contextLimit) (the server's context length), got \(tokens)")
            }
            maxTokens = tokens
            maxTokensField = key
        }
        stop = try Self.stopStrings(body, options: options)
        n = try body.int("n", in: 1...options.maxChoices) ?? 1
        presencePenalty = try body.double("presence_penalty", in: -2...2) ?? 0
        frequencyPenalty = try body.double("frequency_penalty", in: -2...2) ?? 0
        stream = try body.bool("stream") ?? false
        ignoreEOS = try body.bool("ignore_eos") ?? false
        if let streamOptions = try body.object("stream_options") {
            guard stream else { throw APIError.invalid("stream_options", "is only allowed with \"stream\": true") }
            includeUsage = try streamOptions.bool("include_usage") ?? false
        }
    }

    /// `stop`: a string or a list of strings.
    private static func stopStrings(_ body: FieldReader, options: ServerOptions) throws -> [String] {
        guard let value = body.value("stop") else { return [] }
        let list: [String]
        switch value {
        case .string(let text): list = [text]
        case .array(let elements):
            list = try elements.enumerated().map { i, element in
                guard let text = element.stringValue else {
                    throw APIError.wrongType("stop[\(i)]", expected: "string", found: element.kindName)
                }
                return text
            }
        default: throw APIError.wrongType("stop", expected: "string or array of strings", found: value.kindName)
        }
        guard list.count <= options.maxStopStrings else {
            throw APIError.invalid("stop", "at most \(options.maxStopStrings) stop strings, got \(list.count)")
        }
        for (i, text) in list.enumerated() {
            let field = value.stringValue == nil ? "stop[\(i)]" : "stop"
            if text.isEmpty { throw APIError.invalid(field, "must not be empty") }
            if text.count > options.maxStopLength {
                throw APIError.invalid(field, "must be at most \(options.maxStopLength) characters")
            }
        }
        return list
    }

    /// One job per choice. `defaultMaxTokens` applies when the request gives none; the prompt plus
    /// the new tokens must fit `maxContext`.
    func jobs(
        promptIDs: [Int], defaults: GenerationDefaults, topLogprobs: Int?, maxContext: Int, defaultMaxTokens: Int?
    ) throws -> [GenerationJob] {
        let room = maxContext - promptIDs.count
        let maxNew: Int
        if let maxTokens {
            maxNew = maxTokens
        } else if let defaultMaxTokens {
            maxNew = min(defaultMaxTokens, max(room, 1))
        } else {
            maxNew = max(room, 1)
        }
        guard room >= maxNew else {
            throw ServiceError.contextExceeded(promptTokens: promptIDs.count, maxNewTokens: maxNew, context: maxContext)
        }
        let baseSeed: UInt64 = seed.map { UInt64(bitPattern: Int64($0)) } ?? UInt64.random(in: 0...UInt64.max)
        let sampling = SamplingParameters(
            temperature: temperature ?? defaults.temperature,
            topK: max(topK ?? defaults.topK, 0),
            topP: topP ?? defaults.topP,
            minP: minP ?? 0,
            seed: baseSeed)
        let stopConditions = StopConditions(
            endOfSequenceTokenIDs: ignoreEOS ? [] : defaults.endOfSequence, stopStrings: stop, maxNewTokens: maxNew)
        return (0..<n).map { choice in
            var choiceSampling = sampling
            // Choices differ by seed; choice 0 keeps the request's seed, so n = 1 reproduces it.
            choiceSampling.seed = baseSeed &+ UInt64(choice)
            return GenerationJob(
                promptIDs: promptIDs, sampling: choiceSampling, stop: stopConditions,
                presencePenalty: presencePenalty, frequencyPenalty: frequencyPenalty, topLogprobs: topLogprobs)
        }
    }
}
