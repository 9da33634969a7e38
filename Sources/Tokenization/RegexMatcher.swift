/// Runs a `RegexProgram` over a text's scalars, counting steps; past the budget it throws
/// instead of backtracking on (the budget makes `(.*)*(.*)*x` an error within milliseconds).
struct RegexMatcher {
    struct BudgetExceeded: Error {
        let steps: Int
    }

    let program: RegexProgram
    let scalars: [Unicode.Scalar]
    private(set) var stepsLeft: Int
    private let budget: Int

    private enum Backtrack {
        case state(pc: Int, position: Int)
        case restore(register: Int, value: Int)
    }

    /// The budget is a fixed allowance plus a number of steps per scalar, so a long text gets
    /// time in proportion: ordinary split patterns take a few dozen steps per scalar.
    static func budget(scalars: Int) -> Int { 1_000_000 + 256 * scalars }

    init(program: RegexProgram, scalars: [Unicode.Scalar]) {
        self.program = program
        self.scalars = scalars
        budget = Self.budget(scalars: scalars.count)
        stepsLeft = budget
    }

    /// Non-empty matches, left to right, as scalar ranges (after an empty match the search
    /// resumes one scalar further, as other engines do).
    mutating func allMatches() throws -> [Range<Int>] {
        var found: [Range<Int>] = []
        var start = 0
        while start <= scalars.count {
            guard let match = try firstMatch(from: start) else { break }
            if match.isEmpty {
                start = match.lowerBound + 1
            } else {
                found.append(match)
                start = match.upperBound
            }
        }
        return found
    }

    private mutating func firstMatch(from start: Int) throws -> Range<Int>? {
        for position in start...scalars.count {
            if let end = try run(0, at: position) { return position..<end }
        }
        return nil
    }

    /// The end of the first match of subprogram `index` anchored at `start`, or nil.
    private mutating func run(_ index: Int, at start: Int) throws -> Int? {
        let code = program.programs[index]
        var registers = [Int](repeating: -1, count: program.registerCount)
        var stack: [Backtrack] = []
        var pc = 0, position = start
        while true {
            stepsLeft -= 1
            guard stepsLeft >= 0 else { throw BudgetExceeded(steps: budget) }
            var failed = false
            switch code[pc] {
            case .set(let set):
                if position < scalars.count, program.sets[set].contains(scalars[position]) {
                    position += 1
                    pc += 1
                } else {
                    failed = true
                }
            case .split(let first, let second):
                stack.append(.state(pc: second, position: position))
                pc = first
            case .jump(let target):
                pc = target
            case .assertion(let assertion):
                if holds(assertion, at: position) { pc += 1 } else { failed = true }
            case .lookahead(let sub, let negated):
                if (try run(sub, at: position) != nil) != negated { pc += 1 } else { failed = true }
            case .atomic(let sub):
                if let end = try run(sub, at: position) {
                    position = end
                    pc += 1
                } else {
                    failed = true
                }
            case .savePosition(let register):
                stack.append(.restore(register: register, value: registers[register]))
                registers[register] = position
                pc += 1
            case .requireProgress(let register):
                if registers[register] != position { pc += 1 } else { failed = true }
            case .match:
                return position
            }
            guard failed else { continue }
            var resumed = false
            while let entry = stack.popLast() {
                switch entry {
                case .restore(let register, let value):
                    registers[register] = value
                case .state(let target, let at):
                    pc = target
                    position = at
                    resumed = true
                }
                if resumed { break }
            }
            if !resumed { return nil }
        }
    }

    private func holds(_ assertion: RegexAssertion, at position: Int) -> Bool {
        let count = scalars.count
        switch assertion {
        case .lineStart: return position == 0 || scalars[position - 1] == "\n"
        case .lineEnd: return position == count || scalars[position] == "\n"
        case .textStart: return position == 0
        case .textEnd: return position == count
        case .textEndOrFinalNewline: return position == count || (position == count - 1 && scalars[position] == "\n")
        case .wordBoundary, .notWordBoundary:
            let before = position > 0 && ScalarProperty.word.contains(scalars[position - 1])
            let after = position < count && ScalarProperty.word.contains(scalars[position])
            return (before != after) == (assertion == .wordBoundary)
        }
    }
}
