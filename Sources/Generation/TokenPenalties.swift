/// Penalties on tokens already seen, applied to the logits before the sampler draws.
///
/// - presence / frequency: OpenAI's, over the tokens generated so far:
///   logit[id] −= presence · [count > 0] + frequency · count — the server's engine calls the same
///   function, so `generate` and the server draw the same tokens.
/// - repetition: llama.cpp's `--repeat-penalty` over the last `repetitionWindow` tokens of prompt
///   and output: a positive logit is divided by it, a negative one multiplied (1 = off).
public struct TokenPenalties: Equatable, Sendable {
    public var presence: Double
    public var frequency: Double
    public var repetition: Double
    public var repetitionWindow: Int

    public init(presence: Double = 0, frequency: Double = 0, repetition: Double = 1, repetitionWindow: Int = 64) {
        self.presence = presence
        self.frequency = frequency
        self.repetition = repetition
        self.repetitionWindow = repetitionWindow
    }

    public var isNone: Bool { presence == 0 && frequency == 0 && repetition == 1 }

    public func validate() throws {
        for (name, value) in [("presencePenalty", presence), ("frequencyPenalty", frequency)] where !(value.isFinite && abs(value) <= 2) {
            throw SamplingError.invalidParameter(name: name, value: "\(value)", reason: "must be in [-2, 2]")
        }
        // Logits are divided (or multiplied) by it in Float: 1e-40 made them infinite, which the
        // sampler then reported as a broken model. Real values are near 1.
        guard repetition.isFinite, repetition >= 1e-3, repetition <= 1e3 else {
            throw SamplingError.invalidParameter(
                name: "repetitionPenalty", value: "\(repetition)", reason: "must be in [0.001, 1000] (1 turns it off)")
        }
        guard repetitionWindow >= 0 else {
            throw SamplingError.invalidParameter(name: "repetitionWindow", value: "\(repetitionWindow)", reason: "must be ≥ 0")
        }
    }

    /// Applies all three: `history` is prompt + output so far, `generatedCounts` counts the output.
    public func apply(_ logits: inout [Float], history: [Int], generatedCounts: [Int: Int]) {
        if repetition != 1 {
            Self.applyRepetition(&logits, recent: history.suffix(repetitionWindow), penalty: repetition)
        }
        Self.applyPresenceAndFrequency(&logits, counts: generatedCounts, presence: presence, frequency: frequency)
    }

    /// OpenAI's penalties (also the server engine's).
    public static func applyPresenceAndFrequency(_ logits: inout [Float], counts: [Int: Int], presence: Double, frequency: Double) {
        guard presence != 0 || frequency != 0 else { return }
        for (id, count) in counts where count > 0 && id < logits.count {
            logits[id] -= Float(presence + frequency * Double(count))
        }
    }

    /// llama.cpp's repetition penalty, once per distinct token in `recent`.
    public static func applyRepetition(_ logits: inout [Float], recent: ArraySlice<Int>, penalty: Double) {
        let factor = Float(penalty)
        for id in Set(recent) where id >= 0 && id < logits.count {
            logits[id] = logits[id] > 0 ? logits[id] / factor : logits[id] * factor
        }
    }
}
