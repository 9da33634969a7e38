import Foundation

/// Plain-loop twins, in Double, of `SoftmaxAttentionBackward` (full probability rows, no
/// log-sum-exp trick) and of RoPE and its inverse.
public enum SoftmaxAttentionReference {
    /// q: [T, H, d], k, v: [T, H_kv, d] → o: [T, H, d] (causal, GQA, optional window).
    public static func forward(
        queries q: [Double], keys k: [Double], values v: [Double], tokens: Int, heads: Int, keyValueHeads: Int,
        headDim d: Int, window: Int?
    ) -> [Double] {
        var out = [Double](repeating: 0, count: tokens * heads * d)
        for h in 0..<heads {
            let g = h / (heads / keyValueHeads)
            for t in 0..<tokens {
                let p = probabilities(q, k, t: t, h: h, g: g, tokens: tokens, heads: heads,
                                      keyValueHeads: keyValueHeads, d: d, window: window)
                for (j, pj) in p {
                    for c in 0..<d { out[(t * heads + h) * d + c] += pj * v[(j * keyValueHeads + g) * d + c] }
                }
            }
        }
        return out
    }

    /// dO: [T, H, d] → dq += [T, H, d], dk += and dv += [T, H_kv, d]; dS_ij = P_ij (dP_ij − Σ_l P_il dP_il).
    public static func backward(
        queries q: [Double], keys k: [Double], values v: [Double], tokens: Int, heads: Int, keyValueHeads: Int,
        headDim d: Int, window: Int?, outputGradient dO: [Double],
        queryGradient dq: inout [Double], keyGradient dk: inout [Double], valueGradient dv: inout [Double]
    ) {
        let scale = 1 / Double(d).squareRoot()
        for h in 0..<heads {
            let g = h / (heads / keyValueHeads)
            for t in 0..<tokens {
                let p = probabilities(q, k, t: t, h: h, g: g, tokens: tokens, heads: heads,
                                      keyValueHeads: keyValueHeads, d: d, window: window)
                let o = (t * heads + h) * d
                var dP: [Double] = []
                for (j, _) in p {
                    var sum = 0.0
                    for c in 0..<d { sum += dO[o + c] * v[(j * keyValueHeads + g) * d + c] }
                    dP.append(sum)
                }
                var expected = 0.0
                for (n, (_, pj)) in p.enumerated() { expected += pj * dP[n] }
                for (n, (j, pj)) in p.enumerated() {
                    let dS = pj * (dP[n] - expected) * scale, kv = (j * keyValueHeads + g) * d
                    for c in 0..<d {
                        dq[o + c] += dS * k[kv + c]
                        dk[kv + c] += dS * q[o + c]
                        dv[kv + c] += pj * dO[o + c]
                    }
                }
            }
        }
    }

    /// (key index, probability) over the keys query t of head h sees.
    static func probabilities(
        _ q: [Double], _ k: [Double], t: Int, h: Int, g: Int, tokens: Int, heads: Int, keyValueHeads: Int, d: Int,
        window: Int?
    ) -> [(Int, Double)] {
        let scale = 1 / Double(d).squareRoot()
        let first = window.map { max(0, t - $0 + 1) } ?? 0
        var scores: [(Int, Double)] = []
        for j in first...t {
            var s = 0.0
            for c in 0..<d { s += q[(t * heads + h) * d + c] * k[(j * keyValueHeads + g) * d + c] }
            scores.append((j, s * scale))
        }
        let top = scores.map(\.1).max() ?? 0
        let total = scores.reduce(0) { $0 + exp($1.1 - top) }
        return scores.map { ($0.0, exp($0.1 - top) / total) }
    }

    /// NeoX rotation of x: [T, heads, headDim] on the first rotaryDim features at positions 0 ..< T;
    /// `inverse` rotates by −angle. Angles as the fp32 kernel forms them (Float(position) · invFreq).
    public static func rope(
        _ x: [Double], tokens: Int, heads: Int, headDim: Int, rotaryDim: Int, inverseFrequencies: [Float],
        inverse: Bool = false
    ) -> [Double] {
        var y = x
        let half = rotaryDim / 2
        for t in 0..<tokens {
            for i in 0..<half {
                let angle = Double(Float(t) * inverseFrequencies[i])
                let c = cos(angle), s = inverse ? -sin(angle) : sin(angle)
                for h in 0..<heads {
                    let base = (t * heads + h) * headDim
                    let x1 = x[base + i], x2 = x[base + i + half]
                    y[base + i] = x1 * c - x2 * s
                    y[base + i + half] = x2 * c + x1 * s
                }
            }
        }
        return y
    }
}
