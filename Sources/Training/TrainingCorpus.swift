import Foundation

/// What to do with a data line that cannot become an example.
public enum BadLinePolicy: String, CaseIterable, Sendable, Codable {
    /// Report it (file and line) and go on.
    case skip
    /// Stop with its error.
    case fail
}

public enum TrainingDataError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case noExamples(path: String, lines: Int, skipped: Int)
    case tooShort(path: String, tokens: Int, needed: Int)
    case tokenOutOfVocabulary(path: String, token: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .noExamples(let path, let lines, let skipped):
            return "\(path): no usable example in \(lines) lines (\(skipped) bad lines skipped)"
        case .tokenOutOfVocabulary(let path, let token, let vocabularySize):
            return "\(path): the tokenizer produced id \(token), outside the model's vocabulary (vocab_size \(vocabularySize)): the tokenizer and config.json do not belong together"
        case .tooShort(let path, let tokens, let needed):
            return "\(path): \(tokens) tokens in all, a training sequence needs \(needed) (lower --seq-len or add data)"
        }
    }
}

/// Every example of a JSONL file packed into one token stream, cut into training windows of
/// `L + 1` tokens that overlap by one (window i predicts tokens iL+1 … iL+L from iL … iL+L−1).
/// Documents follow each other inside a window, as in llm.c's and GPT-2's packing: no attention
/// mask between them, the end-of-text token separates them.
public struct TrainingCorpus: Sendable {
    public let path: String
    /// The packed stream and, per token, whether predicting it counts.
    public let tokens: [Int]
    public let mask: [Bool]
    public let exampleCount: Int
    public let skipped: [BadDataLine]

    public init(path: String, tokens: [Int], mask: [Bool], exampleCount: Int, skipped: [BadDataLine]) {
        self.path = path
        self.tokens = tokens
        self.mask = mask
        self.exampleCount = exampleCount
        self.skipped = skipped
    }

    /// Reads and tokenizes every line; bad lines are reported through `report` and skipped, or
    /// thrown, as `policy` says. Blank lines are ignored.
    public static func read(
        path: String, reader: TrainingExampleReader, policy: BadLinePolicy, report: (BadDataLine) -> Void = { _ in }
    ) throws -> TrainingCorpus {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TrainingDataError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        var tokens: [Int] = [], mask: [Bool] = [], examples = 0, skipped: [BadDataLine] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }
            if trimmed.isEmpty || trimmed.allSatisfy({ $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: " ") }) { continue }
            do {
                let example = try reader.example(fromLine: Data(line), path: path, line: lineNumber)
                tokens += example.tokens
                mask += example.mask
                examples += 1
            } catch {
                if policy == .fail { throw error }
                skipped.append(error)
                report(error)
            }
        }
        guard examples > 0 else { throw TrainingDataError.noExamples(path: path, lines: lineNumber, skipped: skipped.count) }
        return TrainingCorpus(path: path, tokens: tokens, mask: mask, exampleCount: examples, skipped: skipped)
    }

    public func windowCount(length: Int) -> Int { max(0, (tokens.count - 1) / length) }

    /// Window `i`: inputs, targets and target mask, each [L].
    public func window(_ i: Int, length: Int) -> (inputs: [Int], targets: [Int], mask: [Bool]) {
        let start = i * length
        return (Array(tokens[start..<(start + length)]), Array(tokens[(start + 1)...(start + length)]),
                Array(mask[(start + 1)...(start + length)]))
    }

    /// A fingerprint of the packed stream (FNV-1a), to refuse resuming on different data.
    public var fingerprint: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in tokens {
            hash = (hash ^ UInt64(truncatingIfNeeded: t)) &* 0x100_0000_01b3
        }
        return hash
    }
}
