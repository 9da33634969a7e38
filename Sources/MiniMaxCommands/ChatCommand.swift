import ArgumentParser
import ChatFormat
import Foundation
import Generation
import Tokenization

/// `minimax chat`: an interactive terminal conversation. History is kept across turns; reasoning
/// is shown dimmed (or hidden); Ctrl-C stops the current answer, not the program.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a model in the terminal (/reset clears the history, /exit or Ctrl-D quits).")

    @OptionGroup var options: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .long, help: "System prompt.")
    var system: String?

    @Flag(name: .long, help: "Do not show the model's reasoning.")
    var hideReasoning = false

    func run() throws {
        let loaded = try ModelBundle(options, requireTokenizer: true)
        guard let tokenizer = loaded.tokenizer else { return }
        let generator = TextGenerator(model: loaded.model, tokenizer: tokenizer)
        let interrupt = InterruptWatch()
        defer { interrupt.stop() }

        let styled = isatty(STDOUT_FILENO) != 0
        // Piped input is not echoed by a terminal: echo it, or each answer would follow the "> "
        // of the next prompt with nothing between them.
        let echoInput = isatty(STDIN_FILENO) == 0
        let dim = styled ? "\u{1B}[2m" : "", reset = styled ? "\u{1B}[0m" : ""
        var history: [ChatMessage] = system.map { [.system($0)] } ?? []
        var turn = 0
        printError("chatting with \(loaded.directory.lastPathComponent); /reset clears the history, /exit or Ctrl-D quits")
        while true {
            writeOutput("> ")
            guard let line = readLine() else {
                if echoInput { writeOutput("\n") }
                break
            }
            if echoInput { writeOutput(line + "\n") }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            if input == "/exit" || input == "/quit" { break }
            if input == "/reset" {
                history = system.map { [.system($0)] } ?? []
                writeOutput("(history cleared)\n")
                continue
            }
            history.append(.user(input))
            interrupt.clear()
            let prompt = try tokenizer.encode(try ChatTemplate.render(messages: history, addGenerationPrompt: true))
            var parameters = sampling.parameters(defaults: loaded.defaults)
            parameters.seed = sampling.seed &+ UInt64(turn)
            turn += 1
            let request = GenerationRequest(
                promptIDs: prompt, sampling: parameters, penalties: sampling.penalties,
                stop: sampling.stopConditions(endOfSequence: loaded.defaults.endOfSequence))
            // Reasoning is dimmed on a terminal; elsewhere it keeps its <think> tags. Either way the
            // answer starts on a new line.
            var thinking = false
            do {
                let result = try generator.generate(request) { _, delta in
                    var out = ""
                    if !delta.reasoning.isEmpty && !hideReasoning {
                        if !thinking && !styled { out += "<think>" }
                        thinking = true
                        out += dim + delta.reasoning + reset
                    }
                    if thinking && !delta.content.isEmpty {
                        out += styled ? "\n" : "</think>\n"
                        thinking = false
                    }
                    out += delta.content
                    for call in delta.toolCalls { out += "\n[tool call] \(call.name)(\(call.argumentsJSON))" }
                    for bad in delta.malformedToolCalls { out += "\n[malformed tool call: \(bad.reason)] \(bad.line)" }
                    writeOutput(out)
                    return !interrupt.isRaised
                }
                writeOutput(interrupt.isRaised ? "\n(stopped)\n" : "\n")
                history.append(.assistant(result.parsed.content))
            } catch {
                printError("error: \(NonFiniteWeights.explain(error, directory: loaded.directory))")
                history.removeLast()
            }
        }
    }
}
