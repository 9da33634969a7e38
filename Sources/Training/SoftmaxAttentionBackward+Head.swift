import Foundation
import Kernels

extension SoftmaxAttentionBackward {
    /// One query head h: adds its dQ into `inputs.queryGradient` and writes (overwrites) its
    /// contributions to its KV head's gradients, keyGradient and valueGradient: [T, d].
    static func backwardHead(
        _ h: Int, shape: Shape, inputs: BackwardInputs,
        keyGradient dK: UnsafeMutablePointer<Float>, valueGradient dV: UnsafeMutablePointer<Float>
    ) {
        let tokens = shape.tokens, heads = shape.heads, d = shape.headDim, g = h / shape.group
        let tile = min(queryTile, tokens)
        dK.initialize(repeating: 0, count: tokens * d)
        dV.initialize(repeating: 0, count: tokens * d)
        // keys, values: [T, d]; keysT: [d, n]; q, dO, product: [tile, d]; qT, dOT: [d, tile];
        // probabilities, scoreGradient: [tile, n]; their transposes: [n, tile]; keyProduct: [T, d]
        let floats = 3 * tokens * d + 5 * tile * d + 4 * tile * tokens + tokens * d
        ScratchMemory.withFloats(floats) { keys in
            let values = keys + tokens * d, keysT = values + tokens * d
            let q = keysT + tokens * d, dO = q + tile * d, tileProduct = dO + tile * d
            let qT = tileProduct + tile * d, dOT = qT + tile * d
            let probabilities = dOT + tile * d, scoreGradient = probabilities + tile * tokens
            let probabilitiesT = scoreGradient + tile * tokens, scoreGradientT = probabilitiesT + tile * tokens
            let keyProduct = scoreGradientT + tile * tokens
            var rowDot = [Float](repeating: 0, count: tile)
            shape.gatherHead(inputs.keys, keyValueHead: g, into: keys)
            shape.gatherHead(inputs.values, keyValueHead: g, into: values)
            var t0 = 0
            while t0 < tokens {
                let rows = min(queryTile, tokens - t0), (lo, n) = shape.keyRange(tile: t0, rows: rows)
                for i in 0..<rows {
                    let offset = ((t0 + i) * heads + h) * d
                    (q + i * d).update(from: inputs.queries + offset, count: d)
                    (dO + i * d).update(from: inputs.outputGradient + offset, count: d)
                    // D_i = dO_i · O_i = Σ_j P_ij (dO_i · v_j)
                    rowDot[i] = Dot.product(inputs.outputGradient + offset, inputs.output + offset, count: d)
                    for c in 0..<d {
                        qT[c * rows + i] = q[i * d + c]
                        dOT[c * rows + i] = dO[i * d + c]
                    }
                }
                for j in 0..<n {
                    for c in 0..<d { keysT[c * n + j] = keys[(lo + j) * d + c] }
                }
                // probabilities: [rows, n] = exp(scale · q·kᵀ − lse), 0 where not visible
                product(q, rows: rows, keys + lo * d, n, d, into: probabilities)
                // scoreGradient: [rows, n] = dO · vᵀ, then scale · P ⊙ (dP − D)
                product(dO, rows: rows, values + lo * d, n, d, into: scoreGradient)
                for i in 0..<rows {
                    let p = probabilities + i * n, dS = scoreGradient + i * n
                    let lse = inputs.logSumExp[(t0 + i) * heads + h], (first, last) = shape.visible(t0 + i, lo: lo)
                    for j in 0..<n {
                        if j >= first && j <= last {
                            p[j] = expf(p[j] * shape.scale - lse)
                            dS[j] = shape.scale * p[j] * (dS[j] - rowDot[i])
                        } else {
                            p[j] = 0
                            dS[j] = 0
                        }
                    }
                }
                // dQ: [rows, d] = dS · K
                product(scoreGradient, rows: rows, keysT, d, n, into: tileProduct)
                for i in 0..<rows {
                    Dot.axpy(1, tileProduct + i * d, inputs.queryGradient + ((t0 + i) * heads + h) * d, count: d)
                }
                Transpose.apply(probabilities, rows: rows, columns: n, into: probabilitiesT)
                Transpose.apply(scoreGradient, rows: rows, columns: n, into: scoreGradientT)
                // dK[lo ..< lo + n] += dSᵀ · Q;  dV[lo ..< lo + n] += Pᵀ · dO   ([n, d] each)
                product(scoreGradientT, rows: n, qT, d, rows, into: keyProduct)
                Dot.axpy(1, keyProduct, dK + lo * d, count: n * d)
                product(probabilitiesT, rows: n, dOT, d, rows, into: keyProduct)
                Dot.axpy(1, keyProduct, dV + lo * d, count: n * d)
                t0 += rows
            }
        }
    }
}
