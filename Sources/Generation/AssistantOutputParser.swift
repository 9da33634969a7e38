/// Splits streamed M1 output into reasoning, answer and tool calls.
///
/// The model writes `<think>\n…\n</think>\n` and then its answer, which may contain
/// `<tool_calls>\n{"name": …, "arguments": {…}}\n…\n</tool_calls>` blocks. Tags inside thinking
/// other than `</think>` are ordinary reasoning text, so a tool call "considered" while thinking
/// is not a call. Call order: `feed` each piece of text as it is decoded, then `finish()` once.
/// Text that could be the start of a tag is held back, so no delta ever holds part of a tag, and
/// the concatenated deltas (and `output`) are the same however the text was split.
public struct AssistantOutputParser: Sendable {
    public static let thinkOpen = "<think>"
    public static let thinkClose = "</think>"
    public static let toolCallsOpen = "<tool_calls>"
    public static let toolCallsClose = "</tool_calls>"

    private enum Section { case answer, thinking, toolCalls }

    /// Everything parsed so far.
    public private(set) var output = ParsedOutput()
    private var section: Section
    private var pending: [Unicode.Scalar] = []
    private var toolCallBlock: [Unicode.Scalar] = []
    private var reasoningStream = WhitespaceTrimmingStream()
    private var contentStream = WhitespaceTrimmingStream()
    private var finished = false

    /// `startsInsideThinking`: the prompt already opened `<think>`, so the output begins as reasoning.
    public init(startsInsideThinking: Bool = false) {
        section = startsInsideThinking ? .thinking : .answer
    }

    public mutating func feed(_ text: String) -> OutputDelta {
        guard !finished else { return OutputDelta() }
        var delta = OutputDelta()
        pending.append(contentsOf: text.unicodeScalars)
        while true {
            let tags = tagsToWatch
            if let match = PartialMatch.firstOccurrence(of: tags.map { Array($0.unicodeScalars) }, in: pending) {
                route(pending[..<match.range.lowerBound], into: &delta)
                pending.removeFirst(match.range.upperBound)
                enter(after: tags[match.needle], delta: &delta)
            } else {
                let held = PartialMatch.heldSuffixLength(of: pending, needles: tags.map { Array($0.unicodeScalars) })
                route(pending[..<(pending.count - held)], into: &delta)
                pending.removeFirst(pending.count - held)
                break
            }
        }
        output.add(delta)
        return delta
    }

    /// Ends the stream: held-back text was not a tag after all, and an unterminated
    /// `<tool_calls>` block is parsed as far as it goes.
    public mutating func finish() -> OutputDelta {
        guard !finished else { return OutputDelta() }
        var delta = OutputDelta()
        route(pending[...], into: &delta)
        pending = []
        if section == .toolCalls { parseToolCallBlock(into: &delta) }
        finished = true
        output.add(delta)
        return delta
    }

    private var tagsToWatch: [String] {
        switch section {
        case .answer: return [Self.thinkOpen, Self.toolCallsOpen]
        case .thinking: return [Self.thinkClose]
        case .toolCalls: return [Self.toolCallsClose]
        }
    }

    private mutating func enter(after tag: String, delta: inout OutputDelta) {
        switch tag {
        case Self.thinkOpen: section = .thinking
        case Self.toolCallsOpen: section = .toolCalls
        case Self.toolCallsClose:
            parseToolCallBlock(into: &delta)
            section = .answer
        default: section = .answer
        }
    }

    private mutating func route(_ text: ArraySlice<Unicode.Scalar>, into delta: inout OutputDelta) {
        guard !text.isEmpty else { return }
        switch section {
        case .answer: delta.content += contentStream.append(text)
        case .thinking: delta.reasoning += reasoningStream.append(text)
        case .toolCalls: toolCallBlock.append(contentsOf: text)
        }
    }

    private mutating func parseToolCallBlock(into delta: inout OutputDelta) {
        let block = String(scalars: toolCallBlock)
        toolCallBlock = []
        for rawLine in block.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimmingWhitespace()
            guard !line.isEmpty else { continue }
            switch ToolCallLineParser.parse(line) {
            case .success(let call): delta.toolCalls.append(call)
            case .failure(let malformed): delta.malformedToolCalls.append(malformed)
            }
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = Array(unicodeScalars)
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars: scalars[first...last])
    }
}
