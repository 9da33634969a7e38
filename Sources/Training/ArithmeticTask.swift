import Foundation
import Tensors

/// Two- and three-digit addition and subtraction asked in plain words ("What is 23 + 58?",
/// "Compute 410 - 97."); the answer is the last integer after `</think>`.
public struct ArithmeticTask: RewardTask {
    public let name = "arithmetic"

    public init() {}

    public func problems(count: Int, seed: UInt64) -> [Problem] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let digits = Int(random.next() % 2) + 2
            let limit = digits == 2 ? 100 : 1000
            let a = Int(random.next() % UInt64(limit - limit / 10)) + limit / 10
            let b = Int(random.next() % UInt64(limit - 10)) + 10
            let add = random.next() % 2 == 0
            let (x, y) = add || a >= b ? (a, b) : (b, a)
            let expression = "\(x) \(add ? "+" : "-") \(y)"
            let prompt = random.next() % 2 == 0 ? "What is \(expression)?" : "Compute \(expression)."
            return Problem(prompt: prompt, answer: String(add ? x + y : x - y), numbers: [x, add ? y : -y])
        }
    }

    public func score(_ problem: Problem, response: String) -> Score {
        guard let answer = ResponseFormat.answer(of: response) else {
            // No M1 shape: no format reward, and the answer is not looked for inside the reasoning.
            return Score(reward: 0, correct: false, wellFormed: false)
        }
        let correct = ResponseFormat.lastInteger(in: answer).map(String.init) == problem.answer
        return Score(reward: (correct ? 1 : 0) + ResponseFormat.formatReward, correct: correct, wellFormed: true)
    }

    /// A worked example in the M1 format, for supervised warm-up data: column by column from the
    /// units, with carries or borrows, then the answer ("<think>23+58: 3+8=11 c1, 2+5+1=8. 81</think>81").
    public static func workedAnswer(_ problem: Problem) -> String {
        guard problem.numbers.count == 2 else { return "<think></think>\(problem.answer)" }
        let x = problem.numbers[0], y = abs(problem.numbers[1]), add = problem.numbers[1] >= 0
        var steps: [String] = [], carry = 0, a = x, b = y
        while a > 0 || b > 0 {
            let da = a % 10, db = b % 10
            if add {
                let sum = da + db + carry
                steps.append("\(da)+\(db)\(carry > 0 ? "+1" : "")=\(sum)\(sum >= 10 ? " c1" : "")")
                carry = sum >= 10 ? 1 : 0
            } else {
                let top = da - carry
                if top < db {
                    steps.append("\(top + 10)-\(db)=\(top + 10 - db) b1")
                    carry = 1
                } else {
                    steps.append("\(top)-\(db)=\(top - db)")
                    carry = 0
                }
            }
            a /= 10
            b /= 10
        }
        if add && carry > 0 { steps.append("1") }
        let expression = "\(x)\(add ? "+" : "-")\(y)"
        return "<think>\(expression): \(steps.joined(separator: ", ")). \(problem.answer)</think>\(problem.answer)"
    }
}
