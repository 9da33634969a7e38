import Foundation

/// The token-by-token recurrence of lightning attention and its reverse-time adjoint, in Double:
/// the twin of `LightningAttention.forward` (from an empty state) and `LightningAttentionBackward`.
public enum LightningAttentionReference {
    /// qkv: [T, H, 3, d] → o: [T, H, d];  S_t = λ S_{t−1} + k_tᵀ v_t, o_t = q_t S_t.
    public static func forward(_ qkv: [Double], tokens: Int, heads: Int, headDim d: Int, slopes: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: tokens * heads * d)
        for h in 0..<heads {
            let decay = exp(-slopes[h])
            var state = [Double](repeating: 0, count: d * d)  // [d_k, d_v]
            for t in 0..<tokens {
                let base = (t * heads + h) * 3 * d
                for a in 0..<d {
                    for c in 0..<d { state[a * d + c] = decay * state[a * d + c] + qkv[base + d + a] * qkv[base + 2 * d + c] }
                }
                for c in 0..<d {
                    var sum = 0.0
                    for a in 0..<d { sum += qkv[base + a] * state[a * d + c] }
                    out[(t * heads + h) * d + c] = sum
                }
            }
        }
        return out
    }

    /// dO: [T, H, d] → dqkv += …: [T, H, 3, d]. dq_t = dO_t S_tᵀ (forward states); with the adjoint
    /// R_t = λ R_{t+1} + q_tᵀ dO_t run backwards: dk_t = R_t v_t, dv_t = k_t R_t.
    public static func backward(
        _ qkv: [Double], tokens: Int, heads: Int, headDim d: Int, slopes: [Double], outputGradient dO: [Double],
        qkvGradient dQKV: inout [Double]
    ) {
        for h in 0..<heads {
            let decay = exp(-slopes[h])
            var state = [Double](repeating: 0, count: d * d)
            for t in 0..<tokens {
                let base = (t * heads + h) * 3 * d, dOBase = (t * heads + h) * d
                for a in 0..<d {
                    for c in 0..<d { state[a * d + c] = decay * state[a * d + c] + qkv[base + d + a] * qkv[base + 2 * d + c] }
                }
                for a in 0..<d {
                    for c in 0..<d { dQKV[base + a] += dO[dOBase + c] * state[a * d + c] }
                }
            }
            var adjoint = [Double](repeating: 0, count: d * d)
            for t in stride(from: tokens - 1, through: 0, by: -1) {
                let base = (t * heads + h) * 3 * d, dOBase = (t * heads + h) * d
                for a in 0..<d {
                    for c in 0..<d { adjoint[a * d + c] = decay * adjoint[a * d + c] + qkv[base + a] * dO[dOBase + c] }
                }
                for a in 0..<d {
                    for c in 0..<d {
                        dQKV[base + d + a] += adjoint[a * d + c] * qkv[base + 2 * d + c]
                        dQKV[base + 2 * d + c] += qkv[base + d + a] * adjoint[a * d + c]
                    }
                }
            }
        }
    }
}
