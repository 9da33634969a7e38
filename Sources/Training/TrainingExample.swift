import ChatFormat
import Foundation
import Tokenization

/// One line of a training file, tokenized: the ids and which of them are predicted (`mask[i]`:
/// the loss counts the prediction of token i). Plain text predicts every token; a chat predicts only
/// the assistant turns (their content and closing `<end_of_sentence>`), not the prompts.
public struct TrainingExample: Sendable, Equatable {
    public var tokens: [Int]
    public var mask: [Bool]

    public init(tokens: [Int], mask: [Bool]) {
        self.tokens = tokens
        self.mask = mask
    }
}

/// A data line that cannot become a training example, with the reason.
public struct BadDataLine: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    public let line: Int
    public let reason: String
    public var description: String { "\(path):\(line): \(reason)" }
}

/// Turns the lines of a JSONL file (`{"text": …}` or `{"messages": [...]}`) into examples.
public struct TrainingExampleReader: Sendable {
    public let tokenizer: Tokenizer
    /// Appended after every plain-text example, so documents are separated in a packed stream.
    public let endOfText: Int?
    /// Longest accepted example, in tokens.
    public let maximumTokens: Int

    public init(tokenizer: Tokenizer, endOfText: Int?, maximumTokens: Int) {
        self.tokenizer = tokenizer
        self.endOfText = endOfText
        self.maximumTokens = maximumTokens
    }

    /// The example on line `line` (1-based) of `path`.
    public func example(fromLine bytes: Data, path: String, line: Int) throws(BadDataLine) -> TrainingExample {
        func bad(_ reason: String) -> BadDataLine { BadDataLine(path: path, line: line, reason: reason) }
        guard String(data: bytes, encoding: .utf8) != nil else { throw bad("not valid UTF-8") }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
                throw bad("not a JSON object (expected {\"text\": …} or {\"messages\": […]})")
            }
            object = parsed
        } catch let error as BadDataLine {
            throw error
        } catch {
            throw bad("invalid JSON")
        }
        let example: TrainingExample
        if let text = object["text"] {
            guard let text = text as? String else { throw bad("field \"text\" is not a string") }
            guard !text.isEmpty else { throw bad("field \"text\" is empty") }
            example = try plainText(text, bad)
        } else if object["messages"] != nil {
            example = try chat(bytes, bad)
        } else {
            throw bad("no \"text\" or \"messages\" field")
        }
        guard example.tokens.count <= maximumTokens else {
            throw bad("\(example.tokens.count) tokens, more than the limit of \(maximumTokens)")
        }
        guard example.mask.contains(true) else { throw bad("nothing to learn: no assistant turn") }
        return example
    }

    private func plainText(_ text: String, _ bad: (String) -> BadDataLine) throws(BadDataLine) -> TrainingExample {
        var tokens: [Int]
        do { tokens = try tokenizer.encode(text) } catch { throw bad("cannot tokenize: \(error)") }
        if let end = endOfText { tokens.append(end) }
        return TrainingExample(tokens: tokens, mask: [Bool](repeating: true, count: tokens.count))
    }

    /// Renders the conversation turn by turn: the text each assistant turn adds (after its
    /// `ai name=assistant` header) is learned, everything else is context.
    private func chat(_ bytes: Data, _ bad: (String) -> BadDataLine) throws(BadDataLine) -> TrainingExample {
        do {
            let messages = try ChatMessage.decodeList(from: bytes)
            guard !messages.isEmpty else { throw bad("\"messages\" is empty") }
            var tokens: [Int] = [], mask: [Bool] = []
            var rendered = ""
            func append(_ text: String, learned: Bool) throws {
                let ids = try tokenizer.encode(text)
                tokens += ids
                mask += [Bool](repeating: learned, count: ids.count)
                rendered += text
            }
            for (i, message) in messages.enumerated() where message.role == .assistant {
                let prompt = try ChatTemplate.render(messages: Array(messages[..<i]), addGenerationPrompt: true)
                let turn = try ChatTemplate.render(messages: Array(messages[...i]), addGenerationPrompt: false)
                guard prompt.hasPrefix(rendered), turn.hasPrefix(prompt) else {
                    throw bad("messages[\(i)]: the conversation does not render turn by turn (system messages after the first turn?)")
                }
                try append(String(prompt.dropFirst(rendered.count)), learned: false)
                // The turn ends "<end_of_sentence>\n": learn through the end marker, not the newline.
                let answer = String(turn.dropFirst(prompt.count))
                let learned = answer.hasSuffix("\n") ? String(answer.dropLast()) : answer
                try append(learned, learned: true)
                if learned.count < answer.count { try append("\n", learned: false) }
            }
            let full = try ChatTemplate.render(messages: messages, addGenerationPrompt: false)
            if full.count > rendered.count, full.hasPrefix(rendered) {
                try append(String(full.dropFirst(rendered.count)), learned: false)
            }
            return TrainingExample(tokens: tokens, mask: mask)
        } catch let error as BadDataLine {
            throw error
        } catch {
            throw bad("\(error)")
        }
    }
}
