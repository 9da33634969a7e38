import ArgumentParser
import Foundation
import Generation
import MiniMax
import Tensors

/// `minimax perplexity`: how well a model predicts a text, as llama.cpp's perplexity tool reports it.
struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity and mean negative log-likelihood of a text file.",
        discussion: """
            Without --stride, the text is cut into windows of --context tokens and the second half of \
            each window is scored with the first half as context (llama.cpp's method). With --stride S, \
            windows of --context tokens advance S tokens at a time and every token is scored once, with \
            as much context as the window gives (the Hugging Face sliding-window method).
            """)

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Text file (UTF-8).")
    var text: String

    @Option(name: .long, parsing: .unconditional, help: "Window length in tokens.")
    var context: Int = 512

    @Option(name: .long, parsing: .unconditional, help: "Sliding-window step in tokens (at most --context).")
    var stride: Int?

    func validate() throws {
        guard context >= 2 else { throw ValidationError("--context must be at least 2, got \(context)") }
        if let stride, !(1...context).contains(stride) { throw ValidationError("--stride must be in 1…\(context) (--context), got \(stride)") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: text) else { throw CommandFailure("--text: cannot read \(text)") }
        guard let content = String(data: data, encoding: .utf8) else { throw CommandFailure("--text: \(text) is not valid UTF-8") }
        let model = try options.loadModel()
        let tokenizer = try ModelBundle.loadTokenizer(directory: options.directory)
        let ids = try tokenizer.encode(content)
        let windows = Self.windows(tokenCount: ids.count, context: context, stride: stride)
        guard !windows.isEmpty else {
            throw CommandFailure("--text: \(text) has \(ids.count) tokens; scoring needs at least \(stride == nil ? context : 2) (lower --context)")
        }
        var total = 0.0, scored = 0
        for (n, window) in windows.enumerated() {
            var cache = model.makeCache()
            let logits = try model.prefill(Array(ids[window.range]), cache: &cache, chunk: 256, lastTokenOnly: false)
            for position in window.scored {
                // Row `position − start` predicts token `position + 1`.
                let row = position - window.range.lowerBound
                total += Self.negativeLogLikelihood(logits, row: row, target: ids[position + 1])
                scored += 1
            }
            FileHandle.standardError.write(Data(String(format: "[%d]%.4f%@", n + 1, exp(total / Double(scored)), n + 1 == windows.count ? "\n" : ",").utf8))
        }
        let mean = total / Double(scored)
        writeOutput(String(format: "perplexity %.4f (mean negative log-likelihood %.6f nats/token over %d scored tokens, %d windows of ≤ %d)\n",
                           exp(mean), mean, scored, windows.count, context))
    }

    /// Token ranges to run and, within each, the positions whose next token is scored.
    static func windows(tokenCount n: Int, context: Int, stride: Int?) -> [(range: Range<Int>, scored: Range<Int>)] {
        guard let stride else {
            let first = context / 2
            return (0..<(n / context)).map { k in
                let start = k * context
                return (start..<(start + context), (start + first)..<(start + context - 1))
            }
        }
        var windows: [(range: Range<Int>, scored: Range<Int>)] = []
        var previousEnd = 0, begin = 0
        while begin < n - 1 {
            let end = min(begin + context, n)
            // Positions whose targets (position + 1) lie in previousEnd+1 ..< end are new.
            let firstScored = max(previousEnd, begin + 1) - 1
            if end - 1 > firstScored { windows.append((begin..<end, firstScored..<(end - 1))) }
            previousEnd = end
            if end == n { break }
            begin += stride
        }
        return windows
    }

    /// −log softmax(logits[row])[target], in Double.
    static func negativeLogLikelihood(_ logits: Matrix, row: Int, target: Int) -> Double {
        let values = logits.row(row)
        let maximum = Double(values.max() ?? 0)
        let sum = values.reduce(0.0) { $0 + Foundation.exp(Double($1) - maximum) }
        return log(sum) + maximum - Double(values[values.startIndex + target])
    }
}
