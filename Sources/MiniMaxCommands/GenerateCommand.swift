import ArgumentParser
import ChatFormat
import Foundation
import Generation
import MiniMax
import Tokenization

/// `minimax generate`: one completion, streamed to stdout or returned as JSON.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a prompt (streamed), or a JSON record with --json.")

    @OptionGroup var options: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .long, help: "Prompt text.")
    var prompt: String?

    @Option(name: .long, help: "Prompt as comma-separated token ids instead of text.")
    var ids: String?

    @Flag(name: .long, help: "Wrap the prompt as a user message in the M1 chat format.")
    var chat = false

    @Option(name: .long, help: "System prompt (with --chat).")
    var system: String?

    @Flag(name: .long, help: "Print one JSON object (text, reasoning, tool_calls, token_ids, finish_reason, timing).")
    var json = false

    func validate() throws {
        guard (prompt == nil) != (ids == nil) else { throw ValidationError("give exactly one of --prompt or --ids") }
        if let prompt, prompt.isEmpty { throw ValidationError("--prompt is empty") }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
        if ids != nil && chat { throw ValidationError("--chat needs --prompt text, not --ids") }
    }

    func run() throws {
        let loaded = try ModelBundle(options, requireTokenizer: prompt != nil)
        let promptIDs: [Int]
        if let ids {
            promptIDs = try parseTokenIDs(ids)
        } else if chat {
            var messages: [ChatMessage] = []
            if let system { messages.append(.system(system)) }
            messages.append(.user(prompt ?? ""))
            promptIDs = try loaded.tokenizer!.encode(try ChatTemplate.render(messages: messages, addGenerationPrompt: true))
        } else {
            promptIDs = try loaded.tokenizer!.encode(prompt ?? "")
        }
        let request = GenerationRequest(
            promptIDs: promptIDs, sampling: sampling.parameters(defaults: loaded.defaults),
            stop: sampling.stopConditions(endOfSequence: loaded.defaults.endOfSequence))
        let generator = TextGenerator(model: loaded.model, tokenizer: loaded.tokenizer)
        let result = try generator.generate(request) { piece, _ in
            if !json {
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            return true
        }
        if json {
            print(try GenerationRecord(result).jsonString())
        } else {
            print("")
        }
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
