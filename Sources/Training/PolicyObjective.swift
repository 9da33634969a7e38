import Foundation

/// The policy-gradient objectives of DESIGN.md §1.8, one response token at a time.
///
/// Our gradient machinery backpropagates Σ_t w_t · CE_t with CE_t = −log π_θ(o_t) (the fp32 LM head
/// + cross-entropy). So each objective is stated here as, per response token, the weight
/// w_t = −∂L/∂log π_θ(o_t): feeding those weights to the head gives exactly ∇_θ L. Every input is a
/// log-probability of the sampled token: `new` from the trainer's forward pass (π_θ), `old` stored by the
/// sampler at rollout (π_old), `reference` from a frozen reference model (GRPO's KL only).
///
/// Ratios: r = π_θ / π_old = exp(new − old).
/// - CISPO (MiniMax-M1): r̂ = min(r, 1 + ε_high), no lower bound; L = −(1/Σ_i|o_i|) Σ sg(r̂)·Â·log π_θ.
///   Every token keeps a gradient (w = r̂·Â / Σ|o_i|); a capped ratio only shrinks it.
///   `epsilonHigh` follows DESIGN.md, verl and slime (`clip_ratio_high`): the cap is 1 + ε_high.
///   TRL's `GRPOConfig(loss_type="cispo", epsilon_high=E)` caps the ratio at E itself (ScaleRL's ε_max),
///   so TRL's `epsilon_high` = our 1 + ε_high: TRL's recommended 5.0 is our `.cispo(epsilonHigh: 4)`.
/// - DAPO: PPO's clipped surrogate −min(r·Â, clip(r, 1 − ε_low, 1 + ε_high)·Â), averaged over all tokens of
///   the batch (1/Σ_i|o_i|). Where the clipped branch is the smaller one (Â > 0 and r > 1 + ε_high, or Â < 0
///   and r < 1 − ε_low) the token's gradient is zero (masked); elsewhere w = r·Â / Σ|o_i|. At a bound
///   exactly the gradient is kept, as torch's clamp and min give it.
/// - GRPO: the same surrogate with one symmetric ε, averaged per sequence then over sequences
///   (1/(G·|o_i|)), plus β·KL(π_θ‖π_ref) with the k3 estimator exp(ref − new) − (ref − new) − 1, as TRL
///   computes it with `use_bias_correction_kl=False` (TRL 1.16 defaults to True, which multiplies the KL by r).
///
/// These equal TRL 1.16's `GRPOTrainer._compute_loss` for loss_type "cispo", "dapo" and "grpo" on the same
/// tensors (Tests/TrainingTests/PolicyObjectiveTests.swift, goldens from scripts/rl/make_objective_goldens.py).
public enum PolicyObjective: Sendable, Equatable {
    case cispo(epsilonHigh: Float)
    case dapo(epsilonLow: Float, epsilonHigh: Float)
    case grpo(epsilon: Float, klCoefficient: Float)

    /// Cap 5 on the ratio: TRL's recommended `epsilon_high=5.0` for cispo (ScaleRL's ε_max).
    public static let defaultCISPO = PolicyObjective.cispo(epsilonHigh: 4)
    /// The DAPO paper's clip-higher bounds.
    public static let defaultDAPO = PolicyObjective.dapo(epsilonLow: 0.2, epsilonHigh: 0.28)
    /// DeepSeekMath's clip; no KL unless asked for (TRL's default β is 0 too).
    public static let defaultGRPO = PolicyObjective.grpo(epsilon: 0.2, klCoefficient: 0)

    /// Log-ratios are clamped to ±this before exp, so a token the sampler found nearly impossible (or a
    /// reference far from the policy) gives a large finite ratio instead of inf · 0 = NaN. exp(20) ≈ 5e8 is far
    /// beyond any clip bound, so the clamp changes nothing a sane run can see.
    public static let logRatioLimit = 20.0

    /// Whether the objective needs reference log-probabilities (GRPO with β ≠ 0).
    public var needsReference: Bool {
        if case .grpo(_, let beta) = self { return beta != 0 }
        return false
    }
}

/// One response token's share of an objective.
public struct TokenTerm: Sendable, Equatable {
    /// −∂L/∂log π_θ(o_t): the row weight for the LM head's cross-entropy.
    public var weight: Float
    /// The token's contribution to the loss value (already divided by the normaliser), TRL's convention.
    public var loss: Double
    /// r = π_θ / π_old before any clipping.
    public var ratio: Double
    /// The ratio was clipped: CISPO's cap hit (whatever Â's sign), or PPO's clipped branch active.
    public var clipped: Bool
    /// The token's gradient is zero because of clipping (DAPO, GRPO; never CISPO).
    public var masked: Bool
    /// k3 estimate of KL(π_θ‖π_ref) at this token (0 without a reference), before β and normalisation.
    public var klDivergence: Double
}

extension PolicyObjective {
    /// One response token's weight, loss and statistics.
    /// - responseLength: |o_i| of this token's response; totalTokens: Σ_i|o_i| over the (mini)batch whose loss
    ///   this is; responseCount: the number of responses in it (zero-length ones included, as TRL's mean does).
    ///   CISPO and DAPO divide by totalTokens, GRPO by responseCount·responseLength (each clamped to ≥ 1).
    /// - referenceLogProbability: needed only when `needsReference`; ignored otherwise.
    public func term(
        newLogProbability: Double, oldLogProbability: Double, referenceLogProbability: Double?,
        advantage: Double, responseLength: Int, totalTokens: Int, responseCount: Int
    ) -> TokenTerm {
        let limit = Self.logRatioLimit
        let ratio = exp(min(max(newLogProbability - oldLogProbability, -limit), limit))
        switch self {
        case .cispo(let epsilonHigh):
            let normaliser = Double(max(totalTokens, 1))
            let cap = 1 + Double(epsilonHigh)
            let capped = min(ratio, cap)  // sg(r̂): a constant for the gradient
            return TokenTerm(
                weight: Float(capped * advantage / normaliser), loss: -capped * advantage * newLogProbability / normaliser,
                ratio: ratio, clipped: ratio > cap, masked: false, klDivergence: 0)
        case .dapo(let epsilonLow, let epsilonHigh):
            let normaliser = Double(max(totalTokens, 1))
            let surrogate = Self.clippedSurrogate(
                ratio: ratio, advantage: advantage, low: 1 - Double(epsilonLow), high: 1 + Double(epsilonHigh))
            return TokenTerm(
                weight: Float(surrogate.gradient / normaliser), loss: -surrogate.value / normaliser,
                ratio: ratio, clipped: surrogate.clipped, masked: surrogate.clipped, klDivergence: 0)
        case .grpo(let epsilon, let klCoefficient):
            let normaliser = Double(max(responseCount, 1)) * Double(max(responseLength, 1))
            let surrogate = Self.clippedSurrogate(
                ratio: ratio, advantage: advantage, low: 1 - Double(epsilon), high: 1 + Double(epsilon))
            var loss = -surrogate.value, weight = surrogate.gradient, kl = 0.0
            if klCoefficient != 0 {
                guard let referenceLogProbability else {
                    preconditionFailure("PolicyObjective.grpo with a KL coefficient needs reference log-probabilities")
                }
                // d = log π_ref − log π_θ; k3 = e^d − d − 1 (expm1 keeps it exact near d = 0, where it is ≈ d²/2),
                // ∂k3/∂log π_θ = 1 − e^d, so its weight −β·∂k3/∂log π_θ = β·expm1(d).
                let d = min(max(referenceLogProbability - newLogProbability, -limit), limit)
                kl = expm1(d) - d
                loss += Double(klCoefficient) * kl
                weight += Double(klCoefficient) * expm1(d)
            }
            return TokenTerm(
                weight: Float(weight / normaliser), loss: loss / normaliser,
                ratio: ratio, clipped: surrogate.clipped, masked: surrogate.clipped, klDivergence: kl)
        }
    }

    /// The same with the sampler's Float log-probabilities.
    public func term(
        newLogProbability: Float, oldLogProbability: Float, referenceLogProbability: Float?,
        advantage: Float, responseLength: Int, totalTokens: Int, responseCount: Int
    ) -> TokenTerm {
        term(
            newLogProbability: Double(newLogProbability), oldLogProbability: Double(oldLogProbability),
            referenceLogProbability: referenceLogProbability.map(Double.init), advantage: Double(advantage),
            responseLength: responseLength, totalTokens: totalTokens, responseCount: responseCount)
    }

    /// PPO's min(r·Â, clip(r)·Â), its derivative with respect to log π_θ (∂r/∂log π_θ = r), and whether the
    /// clipped branch is strictly the smaller one, where the derivative is 0. Strict, because at a bound the
    /// two branches tie and torch keeps the gradient there.
    static func clippedSurrogate(ratio: Double, advantage: Double, low: Double, high: Double)
        -> (value: Double, gradient: Double, clipped: Bool)
    {
        let clipped = (advantage > 0 && ratio > high) || (advantage < 0 && ratio < low)
        let value = min(ratio * advantage, min(max(ratio, low), high) * advantage)
        return (value, clipped ? 0 : ratio * advantage, clipped)
    }
}
