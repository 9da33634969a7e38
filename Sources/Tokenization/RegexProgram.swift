/// A compiled split regex: backtracking instructions run with a step budget, so a hostile
/// pattern fails with an error instead of running forever.
///
/// Leftmost-first semantics, the same as Oniguruma's and Swift's backtracking engines: `split`
/// tries its first branch and comes back to the second only when the first fails.
struct RegexProgram: Sendable {
    enum Instruction: Sendable {
        case set(Int)
        case split(Int, Int)
        case jump(Int)
        case assertion(RegexAssertion)
        /// Run subprogram `Int` at the current position; go on if it matched (`negated`: if not).
        case lookahead(Int, negated: Bool)
        /// Run subprogram `Int` and continue from where its first match ends, never backtracking into it.
        case atomic(Int)
        /// Loops over a body that can match empty: remember the position, and fail an iteration
        /// that did not move (otherwise `(a*)*` would spin).
        case savePosition(Int)
        case requireProgress(Int)
        case match
    }

    /// Programs larger than this (`(x{1000}){1000}`) are refused when compiling.
    static let maximumInstructions = 50_000

    /// Subprogram 0 is the pattern; lookaheads and atomic groups add their own.
    private(set) var programs: [[Instruction]] = []
    private(set) var sets: [ScalarSet] = []
    private(set) var registerCount = 0
    private var size = 0

    init(_ node: RegexNode) throws {
        programs = [[]]
        var main: [Instruction] = []
        try emit(node, into: &main)
        main.append(.match)
        programs[0] = main
    }

    private mutating func subprogram(_ node: RegexNode) throws -> Int {
        let index = programs.count
        programs.append([])
        var body: [Instruction] = []
        try emit(node, into: &body)
        body.append(.match)
        programs[index] = body
        return index
    }

    private mutating func append(_ instruction: Instruction, to code: inout [Instruction]) throws {
        size += 1
        guard size <= Self.maximumInstructions else {
            throw RegexSyntaxError(offset: 0, reason: "pattern expands to more than \(Self.maximumInstructions) instructions")
        }
        code.append(instruction)
    }

    private mutating func emit(_ node: RegexNode, into code: inout [Instruction]) throws {
        switch node {
        case .empty:
            break
        case .set(let set):
            sets.append(set)
            try append(.set(sets.count - 1), to: &code)
        case .concat(let parts):
            for part in parts { try emit(part, into: &code) }
        case .alternation(let branches):
            var exits: [Int] = []
            for (i, branch) in branches.enumerated() {
                if i < branches.count - 1 {
                    let split = code.count
                    try append(.split(split + 1, -1), to: &code)
                    try emit(branch, into: &code)
                    exits.append(code.count)
                    try append(.jump(-1), to: &code)
                    code[split] = .split(split + 1, code.count)
                } else {
                    try emit(branch, into: &code)
                }
            }
            for exit in exits { code[exit] = .jump(code.count) }
        case .assertion(let assertion):
            try append(.assertion(assertion), to: &code)
        case .lookahead(let body, let negated):
            try append(.lookahead(try subprogram(body), negated: negated), to: &code)
        case .atomic(let body):
            try append(.atomic(try subprogram(body)), to: &code)
        case .repetition(let body, let min, let max, let greedy, let possessive):
            if possessive {
                let inner = RegexNode.repetition(body, min: min, max: max, greedy: greedy, possessive: false)
                try append(.atomic(try subprogram(inner)), to: &code)
                return
            }
            for _ in 0..<min { try emit(body, into: &code) }
            if let max {
                // x{0,k}: k nested optional copies; every "no" jumps to the end.
                var exits: [Int] = []
                for _ in min..<max {
                    exits.append(code.count)
                    try append(.split(-1, -1), to: &code)
                    try emit(body, into: &code)
                }
                for exit in exits { code[exit] = greedy ? .split(exit + 1, code.count) : .split(code.count, exit + 1) }
            } else {
                let loop = code.count
                try append(.split(-1, -1), to: &code)
                let register = body.isNullable ? registerCount : nil
                if let register {
                    registerCount += 1
                    try append(.savePosition(register), to: &code)
                }
                try emit(body, into: &code)
                if let register { try append(.requireProgress(register), to: &code) }
                try append(.jump(loop), to: &code)
                code[loop] = greedy ? .split(loop + 1, code.count) : .split(code.count, loop + 1)
            }
        }
    }
}
