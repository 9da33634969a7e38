import Foundation

/// Learning rate per update: a linear warm-up from peak/warmup to the peak, then one of the shapes.
/// M1's own recipe is constant-then-decay (a long constant phase, then a decay at the end).
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public enum Shape: String, Sendable, Codable, CaseIterable {
        case constant
        case cosine
        case linear
        /// Constant until the last `decayFraction` of the post-warm-up steps, then linear to the minimum.
        case constantThenDecay = "constant-then-decay"
    }

    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var shape: Shape
    /// The rate the decaying shapes end at, as a fraction of the peak.
    public var minimumRatio: Float
    public var decayFraction: Float

    public init(
        peak: Float, warmupSteps: Int = 0, totalSteps: Int, shape: Shape = .constant, minimumRatio: Float = 0.1,
        decayFraction: Float = 0.2
    ) {
        self.peak = peak
        self.warmupSteps = max(warmupSteps, 0)
        self.totalSteps = max(totalSteps, 1)
        self.shape = shape
        self.minimumRatio = minimumRatio
        self.decayFraction = decayFraction
    }

    /// The rate for update `step` (0-based).
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let decaySteps = max(totalSteps - warmupSteps, 1)
        let progress = min(Float(step - warmupSteps) / Float(decaySteps), 1)
        let floor = peak * minimumRatio
        switch shape {
        case .constant:
            return peak
        case .cosine:
            return floor + (peak - floor) * 0.5 * (1 + cos(Float.pi * progress))
        case .linear:
            return peak - (peak - floor) * progress
        case .constantThenDecay:
            let start = 1 - decayFraction
            guard progress > start, decayFraction > 0 else { return peak }
            return peak - (peak - floor) * (progress - start) / decayFraction
        }
    }
}
