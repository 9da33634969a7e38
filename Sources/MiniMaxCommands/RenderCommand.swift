import ArgumentParser
import ChatFormat
import Foundation

/// `minimax render`: the exact prompt the model will see for a conversation.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Print a conversation rendered in the M1 chat format, exactly as fed to the model.")

    @Option(name: .long, help: "Model directory (its tokenizer_config.json chat template is checked against M1's).")
    var model: String

    @Option(name: .long, help: "Messages in OpenAI JSON form (an array, or {\"messages\": [...]}).")
    var messages: String

    @Option(name: .long, help: "Tools in OpenAI JSON form (an array, or {\"tools\": [...]}).")
    var tools: String?

    @Flag(name: .long, help: "Leave out the trailing assistant turn opener.")
    var noGenerationPrompt = false

    func validate() throws { try checkModelDirectory(model) }

    func run() throws {
        let conversation = try Self.decode(messages, option: "--messages") { try ChatMessage.decodeList(from: $0) }
        let toolList = try tools.map { path in try Self.decode(path, option: "--tools") { try ChatTool.decodeList(from: $0) } } ?? []
        Self.warnIfTemplateDiffers(directory: URL(fileURLWithPath: model))
        let text = try ChatTemplate.render(messages: conversation, tools: toolList, addGenerationPrompt: !noGenerationPrompt)
        writeOutput(text)
    }

    /// The largest --messages or --tools file read (64 MiB, about 16 million tokens of text: far
    /// more than any context): a bigger one is refused before it is read into memory.
    static let maximumFileBytes = 64 << 20

    /// Reads `path` and decodes it, naming the file in every error.
    static func decode<T>(_ path: String, option: String, _ body: (Data) throws -> T) throws -> T {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumFileBytes else {
            throw CommandFailure("\(option): \(path) holds \(size) bytes, above the limit \(maximumFileBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("\(option): cannot read \(path)")
        }
        do { return try body(data) } catch let error as ChatFormatError {
            throw CommandFailure("\(option): \(path): \(error)")
        }
    }

    /// This engine renders the official M1 template natively; say so when a model ships another.
    static func warnIfTemplateDiffers(directory: URL) {
        let url = directory.appendingPathComponent("tokenizer_config.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let template = json["chat_template"] as? String else { return }
        if !ChatTemplate.isOfficialTemplate(template) {
            printError("warning: \(url.path) has a chat template other than MiniMax-M1's; rendering with M1's")
        }
    }
}
