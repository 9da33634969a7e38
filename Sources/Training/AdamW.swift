import Foundation
import Kernels
import MiniMax

/// AdamW (Loshchilov & Hutter), as `torch.optim.AdamW` computes it, with M1's defaults
/// β = (0.9, 0.95), eps = 1e-15. Weight decay is decoupled (θ ← θ − lr·λ·θ before the Adam step)
/// and skipped for roles that should not shrink (norm weights by default).
public struct AdamWSettings: Sendable, Equatable, Codable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var epsilon: Float = 1e-15
    public var weightDecay: Float = 0.1
    /// Roles that get no weight decay.
    public var undecayedRoles: Set<String> = [ParameterRole.norm.rawValue]
    /// Global gradient-norm clip (nil: none).
    public var maxGradientNorm: Float? = 1.0

    public init() {}
}

public final class AdamW: @unchecked Sendable {
    public let settings: AdamWSettings
    /// First and second moments, one element per parameter element.
    public let firstMoment: ParameterStore
    public let secondMoment: ParameterStore
    /// Updates taken so far.
    public private(set) var step: Int = 0

    public init(tree: ParameterTree, settings: AdamWSettings = AdamWSettings()) {
        self.settings = settings
        firstMoment = ParameterStore(tree: tree)
        secondMoment = ParameterStore(tree: tree)
    }

    /// Restores the moments and step count of a saved optimizer.
    public func restore(step: Int, firstMoment m: ParameterStore, secondMoment v: ParameterStore) {
        self.step = step
        firstMoment.values.update(from: m.values, count: m.count)
        secondMoment.values.update(from: v.values, count: v.count)
    }

    /// One update of `parameters` from `gradients` at learning rate `rate`; the gradients are
    /// clipped in place first when a maximum norm is set. Returns the gradient norm before clipping.
    @discardableResult
    public func update(_ parameters: ParameterStore, gradients: ParameterStore, rate: Float) -> Float {
        let norm = Self.globalNorm(gradients)
        if let limit = settings.maxGradientNorm, norm > limit {
            // torch.nn.utils.clip_grad_norm_: scale by max / (norm + 1e-6).
            let scale = limit / (norm + 1e-6)
            let g = gradients.values
            for i in 0..<gradients.count { g[i] *= scale }
        }
        step += 1
        let s = settings
        let correction1 = 1 - pow(Double(s.beta1), Double(step))
        let correction2 = 1 - pow(Double(s.beta2), Double(step))
        let stepSize = Float(Double(rate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        for (index, p) in parameters.tree.parameters.enumerated() {
            let decay: Float = s.undecayedRoles.contains(p.role.rawValue) ? 1 : 1 - rate * s.weightDecay
            let theta = parameters.pointer(index), g = gradients.pointer(index)
            let m = firstMoment.pointer(index), v = secondMoment.pointer(index)
            Parallel.forEachRange(p.elementCount, grain: 1 << 14) { range in
                for i in range {
                    theta[i] *= decay
                    m[i] = s.beta1 * m[i] + (1 - s.beta1) * g[i]
                    v[i] = s.beta2 * v[i] + (1 - s.beta2) * g[i] * g[i]
                    let denominator = v[i].squareRoot() / rootCorrection2 + s.epsilon
                    theta[i] -= stepSize * m[i] / denominator
                }
            }
        }
        return norm
    }

    /// ‖g‖₂ over every parameter, accumulated in Double.
    public static func globalNorm(_ gradients: ParameterStore) -> Float {
        var sum = 0.0
        let g = gradients.values
        for i in 0..<gradients.count { sum += Double(g[i]) * Double(g[i]) }
        return Float(sum.squareRoot())
    }
}
