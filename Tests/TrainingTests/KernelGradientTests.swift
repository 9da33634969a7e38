import Foundation
import Kernels
import TestSupport
import Training
import XCTest

/// The building blocks: Linear, RMSNorm, RoPE, lightning and softmax attention cores. Each naive
/// Double backward is checked by central differences; each fast Float backward against it.
final class KernelGradientTests: XCTestCase {
    typealias G = GradientChecking

    func testLinearGradients() {
        let worst = G.Worst("Linear")
        for (rows, inputs, outputs) in [(1, 1, 1), (1, 7, 3), (5, 13, 11), (7, 33, 17), (29, 40, 37), (70, 300, 45)] {
            let seed = UInt64(rows * 1000 + inputs * 10 + outputs)
            let x = G.random(rows * inputs, seed: seed), w = G.random(outputs * inputs, seed: seed + 1)
            let dY = G.random(rows * outputs, seed: seed + 2)
            let dX0 = G.random(rows * inputs, seed: seed + 3), dW0 = G.random(outputs * inputs, seed: seed + 4)
            var dX = dX0, dW = dW0
            LinearReference.backward(outputGradient: dY, input: x, rows: rows, weight: w, outputs: outputs, inputs: inputs,
                                     inputGradient: &dX, weightGradient: &dW)
            func loss(_ x: [Double], _ w: [Double]) -> Double {
                G.dot(dY, LinearReference.forward(x, rows: rows, weight: w, outputs: outputs, inputs: inputs))
            }
            let label = "T=\(rows) in=\(inputs) out=\(outputs)"
            worst.fd(G.check("dX \(label)", values: x, analytic: zip(dX, dX0).map(-)) { loss($0, w) })
            worst.fd(G.check("dW \(label)", values: w, analytic: zip(dW, dW0).map(-)) { loss(x, $0) })

            var y = [Float](repeating: 0, count: rows * outputs)
            var fastX = G.floats(dX0), fastW = G.floats(dW0)
            let xf = G.floats(x), wf = G.floats(w), dYf = G.floats(dY)
            Linear.forward(xf, rows: rows, weight: wf, outputs: outputs, inputs: inputs, into: &y)
            Linear.backward(outputGradient: dYf, input: xf, rows: rows, weight: wf, outputs: outputs, inputs: inputs,
                            inputGradient: &fastX, weightGradient: &fastW)
            worst.twin(G.compare("y \(label)", y, LinearReference.forward(x, rows: rows, weight: w, outputs: outputs, inputs: inputs)))
            worst.twin(G.compare("dX (accumulated) \(label)", fastX, dX, baseline: dX0))
            worst.twin(G.compare("dW (accumulated) \(label)", fastW, dW, baseline: dW0))
        }
        worst.report()
    }

    func testRMSNormGradients() {
        let worst = G.Worst("RMSNorm")
        // width 1 with a small eps is left out: there y ≈ ±weight and dX = r·dn·eps/(x² + eps), a
        // cancellation (1 − n²) no fp32 formula of the general case avoids.
        for (rows, width, eps) in [(1, 1, 0.5), (3, 7, 1e-6), (4, 33, 1e-5), (2, 64, 1e-2), (5, 97, 1e-6)] {
            let seed = UInt64(rows * 100 + width)
            let x = G.random(rows * width, seed: seed), weight = G.random(width, seed: seed + 1)
            let dY = G.random(rows * width, seed: seed + 2), dX0 = G.random(rows * width, seed: seed + 3)
            var dX = dX0, dWeight = [Double](repeating: 0, count: width)
            RMSNormReference.backward(x, rows: rows, width: width, weight: weight, eps: eps, outputGradient: dY,
                                      inputGradient: &dX, weightGradient: &dWeight)
            func loss(_ x: [Double], _ w: [Double]) -> Double {
                G.dot(dY, RMSNormReference.forward(x, rows: rows, width: width, weight: w, eps: eps))
            }
            let label = "rows=\(rows) width=\(width)"
            worst.fd(G.check("dX \(label)", values: x, analytic: zip(dX, dX0).map(-)) { loss($0, weight) })
            worst.fd(G.check("dWeight \(label)", values: weight, analytic: dWeight) { loss(x, $0) })

            var fastX = G.floats(dX0), fastWeight = [Float](repeating: 0, count: width)
            RMSNormBackward.apply(input: G.floats(x), rows: rows, width: width, weight: G.floats(weight), eps: Float(eps),
                                  outputGradient: G.floats(dY), inputGradient: &fastX, weightGradient: &fastWeight)
            worst.twin(G.compare("dX (accumulated) \(label)", fastX, dX, baseline: dX0))
            worst.twin(G.compare("dWeight \(label)", fastWeight, dWeight))
        }
        worst.report()
    }

    func testRoPEInverseIsTheTransposeOfTheRotation() {
        // ⟨dY, R x⟩ = ⟨R⁻¹ dY, x⟩ for every x: the inverse rotation is the gradient map.
        let tokens = 9, heads = 3, headDim = 8
        for rotaryDim in [2, 4, 8] {
            let frequencies = RoPE.inverseFrequencies(theta: 10000, rotaryDim: rotaryDim)
            let x = TestSupport.randomValues(tokens * heads * headDim, seed: 5)
            let dY = TestSupport.randomValues(tokens * heads * headDim, seed: 6)
            var rotated = x, back = dY
            RoPE.apply(&rotated, tokens: tokens, heads: heads, headDim: headDim, rotaryDim: rotaryDim, firstPosition: 0,
                       inverseFrequencies: frequencies)
            RoPEBackward.applyInverse(&back, tokens: tokens, heads: heads, headDim: headDim, rotaryDim: rotaryDim,
                                      firstPosition: 0, inverseFrequencies: frequencies)
            let left = zip(dY, rotated).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(back, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(left, right, accuracy: 1e-5 * abs(left), "rotaryDim \(rotaryDim)")
            XCTAssertNotEqual(back, dY, "the rotation did something")
        }
    }

    func testLightningAttentionGradients() {
        let worst = G.Worst("LightningAttention")
        // (T, H, d, B): one token, ragged last block, exact blocks, one block larger than T, B = 1, many blocks
        for (tokens, heads, d, blockSize) in [(1, 1, 3, 4), (11, 2, 4, 4), (8, 2, 3, 4), (5, 1, 4, 8), (6, 2, 2, 1),
                                              (23, 3, 5, 5), (40, 2, 17, 16), (300, 2, 32, 64)] {
            let seed = UInt64(tokens * 100 + heads * 10 + d)
            let slopes = (0..<heads).map { 0.05 + 0.4 * Double($0) }
            let qkv = G.random(tokens * heads * 3 * d, seed: seed), dO = G.random(tokens * heads * d, seed: seed + 1)
            let dQKV0 = G.random(tokens * heads * 3 * d, seed: seed + 2)
            var dQKV = dQKV0
            LightningAttentionReference.backward(qkv, tokens: tokens, heads: heads, headDim: d, slopes: slopes,
                                                 outputGradient: dO, qkvGradient: &dQKV)
            let label = "T=\(tokens) H=\(heads) d=\(d) B=\(blockSize)"
            if tokens * d <= 120 {
                worst.fd(G.check("dqkv \(label)", values: qkv, analytic: zip(dQKV, dQKV0).map(-), sample: 80) {
                    G.dot(dO, LightningAttentionReference.forward($0, tokens: tokens, heads: heads, headDim: d, slopes: slopes))
                })
            }
            let slopesF = slopes.map(Float.init), qkvF = G.floats(qkv)
            var out = [Float](repeating: 0, count: tokens * heads * d)
            var state = [Float](repeating: 0, count: heads * d * d)
            LightningAttention.forward(qkv: qkvF, tokens: tokens, heads: heads, headDim: d, slopes: slopesF,
                                       blockSize: blockSize, state: &state, out: &out)
            worst.twin(G.compare("o \(label)", out,
                                 LightningAttentionReference.forward(qkv, tokens: tokens, heads: heads, headDim: d, slopes: slopes)))
            var fast = G.floats(dQKV0)
            LightningAttentionBackward.backward(qkv: qkvF, tokens: tokens, heads: heads, headDim: d, slopes: slopesF,
                                                blockSize: blockSize, outputGradient: G.floats(dO), qkvGradient: &fast)
            for (part, offset) in [("dq", 0), ("dk", d), ("dv", 2 * d)] {
                let rows = 0..<(tokens * heads)
                let pick = { (all: [Double]) in rows.flatMap { r in all[(r * 3 * d + offset)..<(r * 3 * d + offset + d)] } }
                let fastPart = rows.flatMap { r in fast[(r * 3 * d + offset)..<(r * 3 * d + offset + d)] }
                worst.twin(G.compare("\(part) (accumulated) \(label)", fastPart, pick(dQKV), baseline: pick(dQKV0)))
            }
        }
        worst.report()
    }

    func testSoftmaxAttentionGradients() {
        let worst = G.Worst("SoftmaxAttention")
        // (T, H, H_kv, d, window): one token, GQA, primes, several query tiles, sliding windows
        for (tokens, heads, keyValueHeads, d, window) in [
            (1, 1, 1, 4, nil), (7, 4, 2, 3, nil), (11, 2, 1, 5, nil), (13, 4, 2, 4, 5), (70, 2, 1, 4, nil),
            (131, 2, 2, 3, 20), (67, 4, 1, 6, nil),
        ] as [(Int, Int, Int, Int, Int?)] {
            let seed = UInt64(tokens * 100 + heads * 10 + d)
            let q = G.random(tokens * heads * d, seed: seed, scale: 2)
            let k = G.random(tokens * keyValueHeads * d, seed: seed + 1, scale: 2)
            let v = G.random(tokens * keyValueHeads * d, seed: seed + 2), dO = G.random(tokens * heads * d, seed: seed + 3)
            let dq0 = G.random(q.count, seed: seed + 4), dk0 = G.random(k.count, seed: seed + 5)
            let dv0 = G.random(v.count, seed: seed + 6)
            var dq = dq0, dk = dk0, dv = dv0
            SoftmaxAttentionReference.backward(
                queries: q, keys: k, values: v, tokens: tokens, heads: heads, keyValueHeads: keyValueHeads, headDim: d,
                window: window, outputGradient: dO, queryGradient: &dq, keyGradient: &dk, valueGradient: &dv)
            func loss(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
                G.dot(dO, SoftmaxAttentionReference.forward(queries: q, keys: k, values: v, tokens: tokens, heads: heads,
                                                           keyValueHeads: keyValueHeads, headDim: d, window: window))
            }
            let label = "T=\(tokens) H=\(heads) Hkv=\(keyValueHeads) d=\(d) window=\(window.map(String.init) ?? "none")"
            if tokens <= 70 {
                worst.fd(G.check("dq \(label)", values: q, analytic: zip(dq, dq0).map(-), sample: 30) { loss($0, k, v) })
                worst.fd(G.check("dk \(label)", values: k, analytic: zip(dk, dk0).map(-), sample: 30) { loss(q, $0, v) })
                worst.fd(G.check("dv \(label)", values: v, analytic: zip(dv, dv0).map(-), sample: 30) { loss(q, k, $0) })
            }
            let qf = G.floats(q), kf = G.floats(k), vf = G.floats(v)
            var out = [Float](repeating: 0, count: tokens * heads * d), lse = [Float](repeating: 0, count: tokens * heads)
            SoftmaxAttentionBackward.forward(queries: qf, keys: kf, values: vf, tokens: tokens, heads: heads,
                                             keyValueHeads: keyValueHeads, headDim: d, window: window, out: &out, logSumExp: &lse)
            worst.twin(G.compare("o \(label)", out, SoftmaxAttentionReference.forward(
                queries: q, keys: k, values: v, tokens: tokens, heads: heads, keyValueHeads: keyValueHeads, headDim: d,
                window: window)))
            var fastQ = G.floats(dq0), fastK = G.floats(dk0), fastV = G.floats(dv0)
            SoftmaxAttentionBackward.backward(
                queries: qf, keys: kf, values: vf, output: out, logSumExp: lse, outputGradient: G.floats(dO), tokens: tokens,
                heads: heads, keyValueHeads: keyValueHeads, headDim: d, window: window, queryGradient: &fastQ,
                keyGradient: &fastK, valueGradient: &fastV)
            worst.twin(G.compare("dq (accumulated) \(label)", fastQ, dq, baseline: dq0))
            worst.twin(G.compare("dk (accumulated) \(label)", fastK, dk, baseline: dk0))
            worst.twin(G.compare("dv (accumulated) \(label)", fastV, dv, baseline: dv0))
        }
        worst.report()
    }
}
