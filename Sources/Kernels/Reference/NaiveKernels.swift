import Foundation
import Tensors

/// Plain-loop twins of the fast kernels: obviously correct, slow, accumulating in Double.
/// Tests hold each fast kernel equal to its twin on awkward sizes.
public enum NaiveKernels {
    /// out[T, N] = x[T, K] · Wᵀ
    public static func matmul(_ x: [Float], rows: Int, weight: TensorView) -> [Float] {
        let n = weight.shape[0], k = weight.shape[1]
        var out = [Float](repeating: 0, count: rows * n)
        for t in 0..<rows {
            for j in 0..<n {
                var sum = 0.0
                for i in 0..<k { sum += Double(x[t * k + i]) * Double(weight.element(j * k + i)) }
                out[t * n + j] = Float(sum)
            }
        }
        return out
    }

    public static func rmsNorm(_ x: [Float], width: Int, weight: [Float], eps: Float) -> [Float] {
        var out = x
        for r in 0..<(x.count / width) {
            var meanSquare = 0.0
            for i in 0..<width { meanSquare += Double(x[r * width + i]) * Double(x[r * width + i]) }
            meanSquare /= Double(width)
            let scale = 1 / (meanSquare + Double(eps)).squareRoot()
            for i in 0..<width { out[r * width + i] = Float(Double(x[r * width + i]) * scale) * weight[i] }
        }
        return out
    }

    public static func softmax(_ x: [Float]) -> [Float] {
        let m = x.max() ?? 0
        let e = x.map { exp(Double($0 - m)) }
        let sum = e.reduce(0, +)
        return e.map { Float($0 / sum) }
    }

    /// The defining recurrence S_t = λS_{t−1} + k_tᵀv_t, o_t = q_t S_t, token by token.
    /// qkv: [T, H, 3, d]; state: [H, d, d] (updated); returns out: [T, H, d].
    public static func lightningAttention(
        qkv: [Float], tokens: Int, heads: Int, headDim d: Int, slopes: [Float], state: inout [Float]
    ) -> [Float] {
        var out = [Float](repeating: 0, count: tokens * heads * d)
        for h in 0..<heads {
            let decay = exp(-Double(slopes[h]))
            var s = state[(h * d * d)..<((h + 1) * d * d)].map(Double.init)
            for t in 0..<tokens {
                let base = (t * heads + h) * 3 * d
                for r in 0..<d {
                    for c in 0..<d {
                        s[r * d + c] = decay * s[r * d + c] + Double(qkv[base + d + r]) * Double(qkv[base + 2 * d + c])
                    }
                }
                for c in 0..<d {
                    var sum = 0.0
                    for r in 0..<d { sum += Double(qkv[base + r]) * s[r * d + c] }
                    out[(t * heads + h) * d + c] = Float(sum)
                }
            }
            for i in 0..<(d * d) { state[h * d * d + i] = Float(s[i]) }
        }
        return out
    }

    /// Causal GQA attention with an explicit score matrix. queries: [T, H, d];
    /// keys/values: [past + T, H_kv, d]; returns [T, H, d].
    public static func causalAttention(
        queries: [Float], tokens: Int, heads: Int, keyValueHeads: Int, headDim d: Int,
        keys: [Float], values: [Float], past: Int, window: Int?
    ) -> [Float] {
        var out = [Float](repeating: 0, count: tokens * heads * d)
        let group = heads / keyValueHeads
        for t in 0..<tokens {
            for h in 0..<heads {
                let kv = h / group, position = past + t
                var scores: [Double] = []
                var visible: [Int] = []
                for j in 0...position where window.map({ position - j < $0 }) ?? true {
                    var dot = 0.0
                    for i in 0..<d {
                        dot += Double(queries[(t * heads + h) * d + i]) * Double(keys[(j * keyValueHeads + kv) * d + i])
                    }
                    scores.append(dot / Double(d).squareRoot())
                    visible.append(j)
                }
                let m = scores.max()!
                let e = scores.map { exp($0 - m) }
                let sum = e.reduce(0, +)
                for i in 0..<d {
                    var acc = 0.0
                    for (n, j) in visible.enumerated() { acc += e[n] / sum * Double(values[(j * keyValueHeads + kv) * d + i]) }
                    out[(t * heads + h) * d + i] = Float(acc)
                }
            }
        }
        return out
    }

    /// Rotate-half RoPE on the first rotaryDim features, angles in Double.
    public static func rope(
        _ x: [Float], tokens: Int, heads: Int, headDim: Int, rotaryDim: Int, firstPosition: Int, theta: Double
    ) -> [Float] {
        var out = x
        let half = rotaryDim / 2
        for t in 0..<tokens {
            for h in 0..<heads {
                let base = (t * heads + h) * headDim
                for i in 0..<half {
                    let angle = Double(firstPosition + t) / pow(theta, Double(2 * i) / Double(rotaryDim))
                    let x1 = Double(x[base + i]), x2 = Double(x[base + i + half])
                    out[base + i] = Float(x1 * cos(angle) - x2 * sin(angle))
                    out[base + i + half] = Float(x2 * cos(angle) + x1 * sin(angle))
                }
            }
        }
        return out
    }
}
