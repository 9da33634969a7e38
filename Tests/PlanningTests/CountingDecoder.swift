import Foundation
import MiniMax
import SafeTensors
import Tensors

/// A plain-loop decoder of the MiniMax architecture (DESIGN.md §1.2–1.5) that counts every
/// multiply-add it performs: the brute-force count the planner's closed forms are held to. It reads
/// the weights of a checkpoint on disk by name; tests first check that its logits are the engine's,
/// so the counted loops are the model, not a sketch of it.
final class CountingDecoder {
    let c: Configuration
    let checkpoint: Checkpoint
    /// Multiply-adds of the token in flight (reset by `decode`).
    private(set) var multiplyAdds = 0
    private var states: [Int: [Double]] = [:]
    private var keys: [Int: [[Double]]] = [:], values: [Int: [[Double]]] = [:]
    private var position = 0

    init(configuration: Configuration, directory: URL) throws {
        c = configuration
        checkpoint = try Checkpoint(directory: directory)
    }

    func weight(_ name: String) throws -> [Double] { try checkpoint.tensor(name).toFloatArray().map(Double.init) }

    /// y = W·x for W [rows, x.count]: rows × x.count multiply-adds.
    func product(_ name: String, _ x: [Double]) throws -> [Double] {
        let w = try weight(name)
        let rows = w.count / x.count
        return (0..<rows).map { r in
            var sum = 0.0
            for i in 0..<x.count {
                sum += w[r * x.count + i] * x[i]
                multiplyAdds += 1
            }
            return sum
        }
    }

    func rmsNorm(_ x: [Double], _ name: String, eps: Float) throws -> [Double] {
        let w = try weight(name)
        let scale = 1 / ((x.reduce(0) { $0 + $1 * $1 } / Double(x.count)) + Double(eps)).squareRoot()
        return x.indices.map { x[$0] * scale * w[$0] }
    }

    func silu(_ v: Double) -> Double { v / (1 + exp(-v)) }

    /// Logits of `token` at the next position; `multiplyAdds` holds what it cost.
    func decode(_ token: Int) throws -> [Double] {
        multiplyAdds = 0
        let d = c.hiddenSize
        let table = try weight(TensorNames.embedding)
        var h = Array(table[(token * d)..<((token + 1) * d)])
        for l in 0..<c.layerCount {
            let n1 = try rmsNorm(h, TensorNames.inputNorm(l), eps: c.rmsNormEpsilon)
            let mixed = c.layerKinds[l] == .lightning ? try lightning(n1, layer: l) : try softmaxAttention(n1, layer: l)
            let r = c.residual(for: c.layerKinds[l])
            h = n1.indices.map { Double(r.alpha) * n1[$0] + Double(r.beta) * mixed[$0] }
            let n2 = try rmsNorm(h, TensorNames.postAttentionNorm(l), eps: c.rmsNormEpsilon)
            let moe = try mixtureOfExperts(n2, layer: l)
            h = n2.indices.map { Double(c.mlpResidual.alpha) * n2[$0] + Double(c.mlpResidual.beta) * moe[$0] }
        }
        position += 1
        return try product(TensorNames.lmHead, try rmsNorm(h, TensorNames.finalNorm, eps: c.rmsNormEpsilon))
    }

    func lightning(_ x: [Double], layer l: Int) throws -> [Double] {
        let names = TensorNames.lightning(l), heads = c.headCount, d = c.headDim
        let qkv = try product(names[0], x).map(silu)  // [H, 3, d]
        let slopes = c.lightningSlopes(layer: l)
        var state = states[l] ?? [Double](repeating: 0, count: heads * d * d)
        var out = [Double](repeating: 0, count: heads * d)
        for head in 0..<heads {
            let q = head * 3 * d, k = q + d, v = q + 2 * d, s = head * d * d
            let decay = exp(-Double(slopes[head]))
            for r in 0..<d {
                for col in 0..<d {
                    state[s + r * d + col] = decay * state[s + r * d + col] + qkv[k + r] * qkv[v + col]
                    multiplyAdds += 1
                }
            }
            for col in 0..<d {
                for r in 0..<d {
                    out[head * d + col] += qkv[q + r] * state[s + r * d + col]
                    multiplyAdds += 1
                }
            }
        }
        states[l] = state
        let normed = try rmsNorm(out, names[2], eps: c.lightningNormEpsilon)
        let gate = try product(names[1], x)
        return try product(names[3], normed.indices.map { normed[$0] / (1 + exp(-gate[$0])) })
    }

    func rope(_ v: inout [Double], heads: Int) {
        let d = c.headDim, half = c.rotaryDim / 2
        for head in 0..<heads {
            for i in 0..<half {
                let angle = Double(position) / pow(c.ropeTheta, Double(2 * i) / Double(c.rotaryDim))
                let a = v[head * d + i], b = v[head * d + i + half]
                v[head * d + i] = a * cos(angle) - b * sin(angle)
                v[head * d + i + half] = b * cos(angle) + a * sin(angle)
            }
        }
    }

    func softmaxAttention(_ x: [Double], layer l: Int) throws -> [Double] {
        let names = TensorNames.softmax(l), heads = c.headCount, d = c.headDim, kvHeads = c.keyValueHeadCount
        var q = try product(names[0], x), k = try product(names[1], x)
        let v = try product(names[2], x)
        rope(&q, heads: heads)
        rope(&k, heads: kvHeads)
        keys[l, default: []].append(k)
        values[l, default: []].append(v)
        let pastKeys = keys[l]!, pastValues = values[l]!
        var out = [Double](repeating: 0, count: heads * d)
        for head in 0..<heads {
            let kv = head / (heads / kvHeads)
            var scores = pastKeys.map { key -> Double in
                var dot = 0.0
                for i in 0..<d {
                    dot += q[head * d + i] * key[kv * d + i]
                    multiplyAdds += 1
                }
                return dot / Double(d).squareRoot()
            }
            let m = scores.max()!
            scores = scores.map { exp($0 - m) }
            let total = scores.reduce(0, +)
            for (j, value) in pastValues.enumerated() {
                for i in 0..<d {
                    out[head * d + i] += scores[j] / total * value[kv * d + i]
                    multiplyAdds += 1
                }
            }
        }
        return try product(names[3], out)
    }

    func mixtureOfExperts(_ x: [Double], layer l: Int) throws -> [Double] {
        let module = TensorNames.moeModules[0]
        let logits = try product(TensorNames.router(l, module: module), x)
        let m = logits.max()!
        let p = logits.map { exp($0 - m) }
        let chosen = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(c.expertsPerToken)
        let norm = chosen.reduce(0) { $0 + p[$1] }
        var y = [Double](repeating: 0, count: x.count)
        for e in chosen {
            let names = TensorNames.expert(l, e, module: module)
            let gate = try product(names[0], x), up = try product(names[1], x)
            let down = try product(names[2], gate.indices.map { silu(gate[$0]) * up[$0] })
            for i in y.indices { y[i] += p[e] / norm * down[i] }
        }
        return y
    }
}
