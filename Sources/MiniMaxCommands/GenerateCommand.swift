import ArgumentParser
import ChatFormat
import Foundation
import Generation
import MiniMax
import Kernels
import Tokenization

/// `minimax generate`: one completion, streamed to stdout or returned as JSON. Progress (loading,
/// then a timing summary as llama.cpp prints it) goes to stderr; Ctrl-C ends the output cleanly
/// and exits 130.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a prompt (streamed), or a JSON record with --json.")

    @OptionGroup var options: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .long, parsing: .unconditional, help: "Prompt text ('-' reads it from standard input).")
    var prompt: String?

    @Option(name: .long, help: "Read the prompt text from this file (UTF-8).")
    var promptFile: String?

    @Option(name: .long, parsing: .unconditional, help: "Prompt as comma-separated token ids instead of text.")
    var ids: String?

    @Flag(name: .long, help: "Wrap the prompt as a user message in the M1 chat format.")
    var chat = false

    @Option(name: .long, parsing: .unconditional, help: "System prompt (with --chat).")
    var system: String?

    @Flag(name: .long, help: "Print one JSON object (text, reasoning, tool_calls, token_ids, finish_reason, timing).")
    var json = false

    func validate() throws {
        guard [prompt, promptFile, ids].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --prompt, --prompt-file or --ids")
        }
        if let prompt, prompt.isEmpty { throw ValidationError("--prompt is empty") }
        if let ids { _ = try parseTokenIDs(ids) }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
        if ids != nil && chat { throw ValidationError("--chat needs prompt text, not --ids") }
    }

    /// The prompt text of `--prompt`, `--prompt -` (stdin) or `--prompt-file`; nil with `--ids`.
    func promptText() throws -> String? {
        let data: Data, source: String
        if let promptFile {
            guard let contents = FileManager.default.contents(atPath: promptFile) else {
                throw CommandFailure("--prompt-file: cannot read \(promptFile)")
            }
            (data, source) = (contents, promptFile)
        } else if prompt == "-" {
            (data, source) = (FileHandle.standardInput.readDataToEndOfFile(), "standard input")
        } else {
            return prompt
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandFailure("\(source): the prompt is not valid UTF-8") }
        guard !text.isEmpty else { throw CommandFailure("\(source): the prompt is empty") }
        return text
    }

    func run() throws {
        let text = try promptText()
        let loaded = try ModelBundle.loadReporting(options, requireTokenizer: text != nil)
        let promptIDs: [Int]
        if let ids {
            promptIDs = try parseTokenIDs(ids)
            if let tokenizer = loaded.tokenizer { try Self.checkKnown(promptIDs, tokenizer: tokenizer) }
        } else if chat {
            var messages: [ChatMessage] = []
            if let system { messages.append(.system(system)) }
            messages.append(.user(text ?? ""))
            promptIDs = try loaded.tokenizer!.encode(try ChatTemplate.render(messages: messages, addGenerationPrompt: true))
        } else {
            promptIDs = try loaded.tokenizer!.encode(text ?? "")
        }
        let request = GenerationRequest(
            promptIDs: promptIDs, sampling: sampling.parameters(defaults: loaded.defaults), penalties: sampling.penalties,
            stop: sampling.stopConditions(endOfSequence: loaded.defaults.endOfSequence))
        let generator = TextGenerator(model: loaded.model, tokenizer: loaded.tokenizer)
        // Without a tokenizer the output is the generated ids, comma-separated like --ids.
        let printIDs = loaded.tokenizer == nil && !json
        if printIDs { printError("no tokenizer in \(loaded.directory.path): printing token ids") }
        let interrupt = InterruptWatch()
        defer { interrupt.stop() }
        var printedIDs = 0
        let result: GenerationResult
        do {
            result = try generator.generate(
            request,
            onDelta: { piece, _ in
                if !json { writeOutput(piece) }
                return !interrupt.isRaised
            },
            onToken: { id in
                if printIDs {
                    writeOutput(printedIDs == 0 ? "\(id)" : ",\(id)")
                    printedIDs += 1
                }
                return !interrupt.isRaised
            })
        } catch {
            throw NonFiniteWeights.explain(error, directory: loaded.directory)
        }
        if json {
            writeOutput(try GenerationRecord(result).jsonString() + "\n")
        } else {
            writeOutput("\n")
        }
        printError(GenerationRecord(result).timing.summary(finishReason: interrupt.isRaised ? "interrupted" : result.finishReason.rawValue))
        if interrupt.isRaised { throw ExitCode(InterruptWatch.exitCode) }
    }

    /// Prompt ids the tokenizer cannot show would decode to nothing (`tokenize --decode` rejects them).
    static func checkKnown(_ ids: [Int], tokenizer: Tokenizer) throws {
        for (i, id) in ids.enumerated() where tokenizer.token(of: id) == nil {
            throw CommandFailure("--ids: item \(i + 1) (\(id)) is not in the tokenizer's vocabulary of \(tokenizer.vocabularySize) tokens")
        }
    }
}

extension ModelBundle {
    /// Loads like `init(_:requireTokenizer:)`, saying on stderr what is loading and how long it took.
    static func loadReporting(_ options: ModelOptions, requireTokenizer: Bool) throws -> ModelBundle {
        printError("loading \(options.directory.path) …")
        let start = Date()
        let bundle = try ModelBundle(options, requireTokenizer: requireTokenizer)
        let c = bundle.model.configuration
        printError(String(
            format: "loaded in %.2f s: %d layers, vocabulary %d, %@ weights, %d threads", Date().timeIntervalSince(start),
            c.layerCount, c.vocabularySize, InspectCommand.bytes(bundle.model.weights.byteCount(configuration: c)),
            Kernels.Parallel.threadCount))
        return bundle
    }
}

/// The `--json` shape of a generation.
struct GenerationRecord: Encodable {
    struct ToolCall: Encodable {
        let name: String
        let arguments: String
    }

    struct MalformedCall: Encodable {
        let line: String
        let reason: String
    }

    struct Timing: Encodable {
        let prompt_tokens: Int
        let generated_tokens: Int
        let prefill_seconds: Double
        let decode_seconds: Double
        let prefill_tokens_per_second: Double
        let decode_tokens_per_second: Double

        /// llama.cpp's closing lines, in one: tokens and rates of the prompt and of the generation.
        func summary(finishReason: String) -> String {
            String(
                format: "prompt %d tokens in %.3f s (%.1f tokens/s), generated %d tokens in %.3f s (%.1f tokens/s), finish: %@",
                prompt_tokens, prefill_seconds, prefill_tokens_per_second, generated_tokens, decode_seconds,
                decode_tokens_per_second, finishReason)
        }
    }

    let text: String
    let reasoning: String
    let content: String
    let tool_calls: [ToolCall]
    let malformed_tool_calls: [MalformedCall]
    let token_ids: [Int]
    let finish_reason: String
    let timing: Timing

    init(_ r: GenerationResult) {
        text = r.text
        reasoning = r.parsed.reasoning
        content = r.parsed.content
        tool_calls = r.parsed.toolCalls.map { ToolCall(name: $0.name, arguments: $0.argumentsJSON) }
        malformed_tool_calls = r.parsed.malformedToolCalls.map { MalformedCall(line: $0.line, reason: $0.reason) }
        token_ids = r.tokenIDs
        finish_reason = r.finishReason.rawValue
        timing = Timing(
            prompt_tokens: r.promptTokenCount, generated_tokens: r.tokenIDs.count, prefill_seconds: r.prefillSeconds,
            decode_seconds: r.decodeSeconds,
            prefill_tokens_per_second: r.prefillSeconds > 0 ? Double(r.promptTokenCount) / r.prefillSeconds : 0,
            // The first token comes from the prefill; the decode loop runs count − 1 forwards.
            decode_tokens_per_second: r.decodeSeconds > 0 ? Double(max(r.tokenIDs.count - 1, 0)) / r.decodeSeconds : 0)
    }

    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
