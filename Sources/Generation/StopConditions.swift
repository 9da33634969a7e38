/// Why generation ended, in OpenAI's `finish_reason` terms plus the M1 repetition guard.
public enum FinishReason: String, Equatable, Sendable {
    /// An end-of-sequence token or a stop string.
    case stop
    /// The max-new-tokens budget ran out.
    case length
    /// The repetition guard fired: too many near-certain tokens in a row.
    case repetition
}

/// The M1 report's guard against degenerate loops: stop once `consecutiveTokens` sampled tokens
/// in a row each had probability above `probabilityThreshold` (K = 3000 at M1 scale).
public struct RepetitionGuard: Equatable, Sendable {
    public var consecutiveTokens: Int
    public var probabilityThreshold: Double

    public init(consecutiveTokens: Int, probabilityThreshold: Double = 0.99) {
        self.consecutiveTokens = consecutiveTokens
        self.probabilityThreshold = probabilityThreshold
    }
}

/// When to stop generating. Everything is off by default.
public struct StopConditions: Equatable, Sendable {
    public var endOfSequenceTokenIDs: Set<Int>
    /// Matched on the decoded text, across token boundaries; the stop string is not output.
    public var stopStrings: [String]
    public var maxNewTokens: Int?
    public var repetitionGuard: RepetitionGuard?

    public init(
        endOfSequenceTokenIDs: Set<Int> = [], stopStrings: [String] = [], maxNewTokens: Int? = nil,
        repetitionGuard: RepetitionGuard? = nil
    ) {
        self.endOfSequenceTokenIDs = endOfSequenceTokenIDs
        self.stopStrings = stopStrings
        self.maxNewTokens = maxNewTokens
        self.repetitionGuard = repetitionGuard
    }

    /// `<end_of_sentence>` (200020), the M1 end of turn.
    public static let minimaxM1EndOfTurnTokenID = 200020

    public func validate() throws {
        for (i, stop) in stopStrings.enumerated() where stop.isEmpty {
            throw StopConditionError.invalidParameter(name: "stopStrings[\(i)]", reason: "must not be empty")
        }
        if let maxNewTokens, maxNewTokens < 1 {
            throw StopConditionError.invalidParameter(name: "maxNewTokens", reason: "must be ≥ 1, got \(maxNewTokens)")
        }
        if let repetitionGuard {
            guard repetitionGuard.consecutiveTokens >= 1 else {
                throw StopConditionError.invalidParameter(
                    name: "repetitionGuard.consecutiveTokens", reason: "must be ≥ 1, got \(repetitionGuard.consecutiveTokens)")
            }
            guard repetitionGuard.probabilityThreshold >= 0, repetitionGuard.probabilityThreshold < 1 else {
                throw StopConditionError.invalidParameter(
                    name: "repetitionGuard.probabilityThreshold", reason: "must be in [0, 1)")
            }
        }
    }
}

public enum StopConditionError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidParameter(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let reason): return "\(name): \(reason)"
        }
    }
}
