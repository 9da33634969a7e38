/// How the next token is chosen from the logits.
///
/// Filters apply in the order transformers' `generate` applies its warpers:
/// temperature → top-k → top-p → min-p, then one draw from what is left.
public struct SamplingParameters: Equatable, Sendable {
    /// Divides the logits; 0 means greedy (argmax, lowest id on ties).
    public var temperature: Double
    /// Keep the k most likely tokens (ties with the k-th are kept, as in transformers); 0 = off.
    public var topK: Int
    /// Keep the smallest most-likely set whose probability reaches top-p; 1 = off.
    public var topP: Double
    /// Drop tokens less likely than min-p × the most likely token's probability; 0 = off.
    public var minP: Double
    public var seed: UInt64

    public init(temperature: Double = 1, topK: Int = 0, topP: Double = 1, minP: Double = 0, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
    }

    public static let greedy = SamplingParameters(temperature: 0)
    /// The M1 report's recommendation: temperature 1.0, top-p 0.95.
    public static let minimaxM1Recommended = SamplingParameters(temperature: 1, topP: 0.95)

    public var isGreedy: Bool { temperature == 0 }

    public func validate() throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw SamplingError.invalidParameter(name: "temperature", value: "\(temperature)", reason: "must be finite and ≥ 0")
        }
        guard topK >= 0 else {
            throw SamplingError.invalidParameter(name: "topK", value: "\(topK)", reason: "must be ≥ 0 (0 turns it off)")
        }
        guard topP > 0, topP <= 1 else {
            throw SamplingError.invalidParameter(name: "topP", value: "\(topP)", reason: "must be in (0, 1]")
        }
        guard minP >= 0, minP <= 1 else {
            throw SamplingError.invalidParameter(name: "minP", value: "\(minP)", reason: "must be in [0, 1]")
        }
    }
}

public enum SamplingError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidParameter(name: String, value: String, reason: String)
    case emptyLogits
    /// A NaN or +∞ logit (−∞ is allowed: it masks a token).
    case nonFiniteLogit(index: Int)
    /// Every logit is −∞.
    case noCandidates

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let reason): return "\(name) = \(value): \(reason)"
        case .emptyLogits: return "logits are empty"
        case .nonFiniteLogit(let index): return "logit \(index) is NaN or +infinity"
        case .noCandidates: return "every logit is -infinity"
        }
    }
}
