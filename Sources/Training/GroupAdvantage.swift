import Foundation

/// Group-normalised advantages (DESIGN.md §1.8): for the G responses to one prompt with rewards R_i,
/// Â_i = (R_i − mean(R)) / (std(R) + ε), shared by every token of response i.
///
/// std is the unbiased sample standard deviation (Bessel's n − 1), and ε = 1e-4, as TRL 1.16 computes it
/// (`GRPOTrainer._generate_and_score_completions` with `scale_rewards="group"`, `trl.trainer.utils.nanstd`).
/// A reward that is not finite (a verifier that failed) is left out of mean and std and its response gets
/// advantage 0, as TRL does for unscorable completions (NaN rewards).
public struct GroupAdvantage: Sendable, Equatable {
    /// Â_i: [G]
    public var advantages: [Float]
    public var mean: Double
    /// Unbiased sample std of the finite rewards (0 with fewer than two).
    public var standardDeviation: Double
    /// All finite rewards are equal (or fewer than two are finite): every advantage is exactly 0, so the
    /// group carries no gradient. DAPO's dynamic sampling drops such groups and samples more.
    public var isDegenerate: Bool

    public static let defaultEpsilon = 1e-4

    public init(rewards: [Double], epsilon: Double = GroupAdvantage.defaultEpsilon) {
        let scored = rewards.filter(\.isFinite)
        let center = scored.isEmpty ? 0 : scored.reduce(0, +) / Double(scored.count)
        let spread = scored.count > 1
            ? (scored.reduce(0) { $0 + ($1 - center) * ($1 - center) } / Double(scored.count - 1)).squareRoot()
            : 0
        // Exact equality, not std ≈ 0: rewards like 0.1, 0.1, 0.1 leave a rounding-size std that would
        // otherwise hand out ~1e-13 advantages. TRL flags std ≤ 1e-8 (torch.isclose) for the same purpose.
        let allEqual = scored.min() == scored.max()
        mean = center
        standardDeviation = spread
        isDegenerate = scored.count < 2 || allEqual || spread <= 1e-8
        let scale = spread + epsilon
        advantages = isDegenerate
            ? [Float](repeating: 0, count: rewards.count)
            : rewards.map { $0.isFinite ? Float(($0 - center) / scale) : 0 }
    }
}

/// DAPO's overlong reward shaping (DAPO paper, eq. 13): a response longer than L_max − L_cache loses
/// reward linearly over the last L_cache tokens, reaching −1 at L_max, and −1 beyond:
///   R_length(y) = 0                                   if |y| ≤ L_max − L_cache
///               = ((L_max − L_cache) − |y|) / L_cache  if L_max − L_cache < |y| ≤ L_max
///               = −1                                  if |y| > L_max
/// It is added to the verifier's reward before the group is normalised.
public struct OverlongPenalty: Sendable, Equatable {
    /// L_max: the length at which the penalty reaches −1.
    public var maximumLength: Int
    /// L_cache: the soft-penalty interval before L_max.
    public var cacheLength: Int

    public init(maximumLength: Int, cacheLength: Int) {
        precondition(cacheLength >= 0 && cacheLength <= maximumLength, "OverlongPenalty: 0 ≤ L_cache ≤ L_max")
        self.maximumLength = maximumLength
        self.cacheLength = cacheLength
    }

    /// R_length for a response of `length` tokens, in [−1, 0].
    public func penalty(length: Int) -> Double {
        let softStart = maximumLength - cacheLength
        if length <= softStart { return 0 }
        if length > maximumLength { return -1 }
        // cacheLength > 0 here, since softStart < length ≤ maximumLength.
        return Double(softStart - length) / Double(cacheLength)
    }
}
