/// What one generated token contributes to the output.
public struct StopStep: Equatable, Sendable {
    /// Text that is now safe to show: never part of a stop string, never text a stop string
    /// might still claim.
    public var text: String
    /// Set on the step that ends generation.
    public var finishReason: FinishReason?

    public init(text: String, finishReason: FinishReason?) {
        self.text = text
        self.finishReason = finishReason
    }
}

/// Applies `StopConditions` token by token.
///
/// Call order: `append(...)` once per sampled token, with the text the detokenizer produced for
/// it, until a step carries a `finishReason`. If generation ends for a reason of your own (the
/// context is full, the client left), call `flush()` to get the text still held back.
/// Priority within one token: end-of-sequence, stop string, repetition guard, length.
public struct StopEvaluator: Sendable {
    public let conditions: StopConditions
    public private(set) var finishReason: FinishReason?
    public private(set) var generatedTokenCount = 0
    private let stopStrings: [[Unicode.Scalar]]
    private var heldText: [Unicode.Scalar] = []
    private var nearCertainRun = 0

    public init(conditions: StopConditions) throws {
        try conditions.validate()
        self.conditions = conditions
        stopStrings = conditions.stopStrings.map { Array($0.unicodeScalars) }
    }

    public mutating func append(tokenID: Int, probability: Double, text: String) -> StopStep {
        guard finishReason == nil else { return StopStep(text: "", finishReason: finishReason) }
        generatedTokenCount += 1

        if conditions.endOfSequenceTokenIDs.contains(tokenID) {
            return finish(.stop)
        }

        heldText.append(contentsOf: text.unicodeScalars)
        if let match = PartialMatch.firstOccurrence(of: stopStrings, in: heldText) {
            let before = String(scalars: heldText[..<match.range.lowerBound])
            heldText = []
            finishReason = .stop
            return StopStep(text: before, finishReason: .stop)
        }

        if let repetitionGuard = conditions.repetitionGuard {
            nearCertainRun = probability > repetitionGuard.probabilityThreshold ? nearCertainRun + 1 : 0
            if nearCertainRun >= repetitionGuard.consecutiveTokens { return finish(.repetition) }
        }
        if let maxNewTokens = conditions.maxNewTokens, generatedTokenCount >= maxNewTokens {
            return finish(.length)
        }

        let held = PartialMatch.heldSuffixLength(of: heldText, needles: stopStrings)
        let safe = String(scalars: heldText[..<(heldText.count - held)])
        heldText.removeFirst(heldText.count - held)
        return StopStep(text: safe, finishReason: nil)
    }

    /// Releases text held back as a possible stop-string start; generation is over after this.
    public mutating func flush() -> String {
        let text = String(scalars: heldText)
        heldText = []
        return text
    }

    private mutating func finish(_ reason: FinishReason) -> StopStep {
        finishReason = reason
        return StopStep(text: flush(), finishReason: reason)
    }
}
