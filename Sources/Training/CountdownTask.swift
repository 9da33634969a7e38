import Foundation
import Tensors

/// A Countdown-style puzzle: "Using the numbers 3, 7, 12, make 33." The answer after `</think>` is
/// an expression with +, −, × and parentheses that uses each given number at most once and equals
/// the target.
public struct CountdownTask: RewardTask {
    public let name = "countdown"

    public init() {}

    public func problems(count: Int, seed: UInt64) -> [Problem] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let numbers = (0..<3).map { _ in Int(random.next() % 19) + 2 }
            // A reachable target: a random expression over all three numbers, kept positive.
            var value = numbers[0]
            for n in numbers.dropFirst() {
                switch random.next() % 3 {
                case 0: value += n
                case 1: value = value - n > 0 ? value - n : value + n
                default: value = value * n <= 400 ? value * n : value + n
                }
            }
            let listed = numbers.map(String.init).joined(separator: ", ")
            return Problem(
                prompt: "Using the numbers \(listed), make \(value). Use each number at most once, with +, - and *.",
                answer: String(value), numbers: numbers)
        }
    }

    public func score(_ problem: Problem, response: String) -> Score {
        guard let answer = ResponseFormat.answer(of: response) else { return Score(reward: 0, correct: false, wellFormed: false) }
        // The expression is the answer's last line, up to an "=" if one is written.
        let line = answer.split(whereSeparator: \.isNewline).last.map(String.init) ?? answer
        let expression = line.split(separator: "=").first.map(String.init) ?? line
        var correct = false
        if var parser = ExpressionParser(expression), let value = parser.parse(), parser.atEnd {
            var available = problem.numbers
            let usesAllowed = parser.numbers.allSatisfy { n in
                guard let i = available.firstIndex(of: n) else { return false }
                available.remove(at: i)
                return true
            }
            correct = usesAllowed && String(value) == problem.answer
        }
        return Score(reward: (correct ? 1 : 0) + ResponseFormat.formatReward, correct: correct, wellFormed: true)
    }
}

/// Integer expressions with + − × (or *) and parentheses, by recursive descent; nil on anything else
/// or on overflow. Depth and length are bounded, so hostile answers cannot recurse deeply.
struct ExpressionParser {
    private let characters: [Character]
    private var index = 0
    private var depth = 0
    private(set) var numbers: [Int] = []

    init?(_ text: String) {
        guard text.count <= 200 else { return nil }
        characters = text.filter { !$0.isWhitespace }.map { $0 == "×" ? "*" : $0 == "−" ? "-" : $0 }
    }

    var atEnd: Bool { index == characters.count }

    mutating func parse() -> Int? { sum() }

    private mutating func sum() -> Int? {
        guard var value = product() else { return nil }
        while index < characters.count, characters[index] == "+" || characters[index] == "-" {
            let op = characters[index]
            index += 1
            guard let right = product() else { return nil }
            let (result, overflow) = op == "+" ? value.addingReportingOverflow(right) : value.subtractingReportingOverflow(right)
            guard !overflow else { return nil }
            value = result
        }
        return value
    }

    private mutating func product() -> Int? {
        guard var value = factor() else { return nil }
        while index < characters.count, characters[index] == "*" {
            index += 1
            guard let right = factor() else { return nil }
            let (result, overflow) = value.multipliedReportingOverflow(by: right)
            guard !overflow else { return nil }
            value = result
        }
        return value
    }

    private mutating func factor() -> Int? {
        guard index < characters.count else { return nil }
        if characters[index] == "(" {
            guard depth < 16 else { return nil }
            depth += 1
            index += 1
            let value = sum()
            guard index < characters.count, characters[index] == ")" else { return nil }
            index += 1
            depth -= 1
            return value
        }
        var digits = ""
        while index < characters.count, characters[index].isASCII, characters[index].isNumber, digits.count < 9 {
            digits.append(characters[index])
            index += 1
        }
        guard let value = Int(digits) else { return nil }
        numbers.append(value)
        return value
    }
}
