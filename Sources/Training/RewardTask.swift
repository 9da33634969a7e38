import Foundation

/// A problem with a checkable answer.
public struct Problem: Sendable, Equatable, Codable {
    /// The user's message.
    public var prompt: String
    /// What a correct answer must contain (the verifier's key).
    public var answer: String
    /// For tasks whose answers are checked by evaluation (Countdown): the numbers allowed.
    public var numbers: [Int]

    public init(prompt: String, answer: String, numbers: [Int] = []) {
        self.prompt = prompt
        self.answer = answer
        self.numbers = numbers
    }
}

/// A verifier's verdict on one response.
public struct Score: Sendable, Equatable {
    /// What the objective maximises.
    public var reward: Double
    /// Whether the answer is right (accuracy).
    public var correct: Bool
    /// Whether the response has the M1 shape: `<think>…</think>` then a non-empty answer.
    public var wellFormed: Bool

    public init(reward: Double, correct: Bool, wellFormed: Bool) {
        self.reward = reward
        self.correct = correct
        self.wellFormed = wellFormed
    }
}

/// A source of problems and their verifier. Rewards are the correctness (1 or 0) plus a format
/// reward of 0.1 for the M1 shape, reasoning in `<think>…</think>` and then the answer.
public protocol RewardTask: Sendable {
    var name: String { get }
    /// `count` problems drawn with `seed` (the same seed, the same problems).
    func problems(count: Int, seed: UInt64) -> [Problem]
    func score(_ problem: Problem, response: String) -> Score
}

public enum ResponseFormat {
    public static let formatReward = 0.1

    /// The answer part of a response: the text after `</think>` when the response is well formed,
    /// else nil.
    public static func answer(of response: String) -> String? {
        let text = response.replacingOccurrences(of: "<end_of_sentence>", with: "")
        guard text.hasPrefix("<think>"), let close = text.range(of: "</think>"),
              text.components(separatedBy: "</think>").count == 2
        else { return nil }
        let answer = text[close.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        return answer.isEmpty ? nil : answer
    }

    /// The last integer in a text ("… so 81." → 81).
    public static func lastInteger(in text: String) -> Int? {
        var last: Int?, current = "", previous: Character = " "
        for character in text + " " {
            if character.isASCII && character.isNumber {
                if current.isEmpty && previous == "-" { current = "-" }
                current.append(character)
            } else if !current.isEmpty {
                last = Int(current) ?? last
                current = ""
            }
            previous = character
        }
        return last
    }
}
