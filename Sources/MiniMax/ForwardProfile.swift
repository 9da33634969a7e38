import Foundation

/// Wall-clock time spent in each part of the forward pass, accumulated across calls (for
/// `minimax bench`). Attach one to a model with `model.profile = ForwardProfile()`.
public final class ForwardProfile: @unchecked Sendable {
    public enum Part: String, CaseIterable, Sendable {
        case embedding, lightningAttention = "lightning attention", softmaxAttention = "softmax attention"
        case mixtureOfExperts = "mixture of experts", norms = "norms + residuals", head = "final norm + LM head"
    }

    public private(set) var seconds: [Part: Double] = [:]

    public init() {}

    public func reset() { seconds = [:] }

    /// Runs `body`, adding its duration to `part`.
    @inline(__always)
    public func measure<R>(_ part: Part, _ body: () throws -> R) rethrows -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds[part, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }
}

extension Optional where Wrapped == ForwardProfile {
    @inline(__always)
    func measure<R>(_ part: ForwardProfile.Part, _ body: () throws -> R) rethrows -> R {
        switch self {
        case .some(let profile): return try profile.measure(part, body)
        case .none: return try body()
        }
    }
}
