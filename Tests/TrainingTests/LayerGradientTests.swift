import Foundation
import MiniMax
import TestSupport
import Training
import XCTest

/// The three sub-layers: naive Double backward against central differences for the input and every
/// parameter tensor, then the fast Float forward and backward against the naive ones.
final class LayerGradientTests: XCTestCase {
    typealias G = GradientChecking

    func testLightningMixerGradients() throws {
        let worst = G.Worst("LightningMixer")
        // (T, H, d, B, layer): one token, ragged last block (11 = 4 + 4 + 3), B = 2 with three heads
        for (tokens, heads, headDim, blockSize, layer) in [(1, 2, 4, 4, 0), (11, 2, 4, 4, 2), (7, 3, 3, 2, 0)] {
            let c = try G.configuration(hidden: 10, heads: heads, headDim: headDim, blockSize: blockSize)
            let width = heads * headDim, hidden = c.hiddenSize, seed = UInt64(tokens * 10 + heads)
            let p = LightningMixerReference.Parameters(
                qkv: G.random(3 * width * hidden, seed: seed, scale: 0.6), outputGate: G.random(width * hidden, seed: seed + 1),
                norm: G.random(width, seed: seed + 2, scale: 0.3).map { $0 + 1 },
                outputProjection: G.random(hidden * width, seed: seed + 3, scale: 0.5))
            let x = G.random(tokens * hidden, seed: seed + 4), dOut = G.random(tokens * hidden, seed: seed + 5)
            let dX0 = G.random(tokens * hidden, seed: seed + 6)
            let label = "T=\(tokens) H=\(heads) d=\(headDim) B=\(blockSize) layer \(layer)"
            var grads = LightningMixerReference.Parameters(zerosFor: c), dX = dX0
            LightningMixerReference.backward(x, tokens: tokens, configuration: c, layer: layer, parameters: p,
                                             outputGradient: dOut, gradients: &grads, inputGradient: &dX)
            func loss(_ x: [Double], _ p: LightningMixerReference.Parameters) -> Double {
                G.dot(dOut, LightningMixerReference.forward(x, tokens: tokens, configuration: c, layer: layer, parameters: p))
            }
            worst.fd(G.check("dX \(label)", values: x, analytic: zip(dX, dX0).map(-)) { loss($0, p) })
            worst.fd(G.check("dQKV \(label)", values: p.qkv, analytic: grads.qkv) { var q = p; q.qkv = $0; return loss(x, q) })
            worst.fd(G.check("dGate \(label)", values: p.outputGate, analytic: grads.outputGate) {
                var q = p; q.outputGate = $0; return loss(x, q) })
            worst.fd(G.check("dNorm \(label)", values: p.norm, analytic: grads.norm) { var q = p; q.norm = $0; return loss(x, q) })
            worst.fd(G.check("dOutProj \(label)", values: p.outputProjection, analytic: grads.outputProjection) {
                var q = p; q.outputProjection = $0; return loss(x, q) })

            let storage = ParameterStorage()
            let fastP = LightningMixerParameters(qkv: storage.make(p.qkv), outputGate: storage.make(p.outputGate),
                                                 norm: storage.make(p.norm), outputProjection: storage.make(p.outputProjection))
            let baseline = LightningMixerReference.Parameters(
                qkv: G.random(p.qkv.count, seed: 91), outputGate: G.random(p.outputGate.count, seed: 92),
                norm: G.random(p.norm.count, seed: 93), outputProjection: G.random(p.outputProjection.count, seed: 94))
            let fastG = LightningMixerParameters(
                qkv: storage.make(baseline.qkv), outputGate: storage.make(baseline.outputGate),
                norm: storage.make(baseline.norm), outputProjection: storage.make(baseline.outputProjection))
            var out = [Float](repeating: 0, count: tokens * hidden), fastX = G.floats(dX0)
            let tape = LightningMixerTraining.forward(G.floats(x), tokens: tokens, configuration: c, layer: layer,
                                                      parameters: fastP, into: &out)
            worst.twin(G.compare("out \(label)", out,
                                 LightningMixerReference.forward(x, tokens: tokens, configuration: c, layer: layer, parameters: p)))
            LightningMixerTraining.backward(tape: tape, outputGradient: G.floats(dOut), configuration: c, layer: layer,
                                            parameters: fastP, gradients: fastG, inputGradient: &fastX)
            worst.twin(G.compare("dX \(label)", fastX, dX, baseline: dX0))
            worst.twin(G.compare("dQKV \(label)", ParameterStorage.read(fastG.qkv, p.qkv.count),
                                 zip(grads.qkv, baseline.qkv).map(+), baseline: baseline.qkv))
            worst.twin(G.compare("dGate \(label)", ParameterStorage.read(fastG.outputGate, p.outputGate.count),
                                 zip(grads.outputGate, baseline.outputGate).map(+), baseline: baseline.outputGate))
            worst.twin(G.compare("dNorm \(label)", ParameterStorage.read(fastG.norm, p.norm.count),
                                 zip(grads.norm, baseline.norm).map(+), baseline: baseline.norm))
            worst.twin(G.compare("dOutProj \(label)", ParameterStorage.read(fastG.outputProjection, p.outputProjection.count),
                                 zip(grads.outputProjection, baseline.outputProjection).map(+), baseline: baseline.outputProjection))
        }
        worst.report()
    }

    func testSoftmaxMixerGradients() throws {
        let worst = G.Worst("SoftmaxMixer")
        // (T, H, H_kv, d, rotaryDim, window): one token, GQA with partial rotary, a window, full rotary
        for (tokens, heads, keyValueHeads, headDim, rotaryDim, window) in [
            (1, 4, 2, 4, 2, nil), (7, 4, 2, 4, 2, nil), (13, 2, 1, 6, 4, 5), (9, 2, 2, 4, nil, nil),
        ] as [(Int, Int, Int, Int, Int?, Int?)] {
            let c = try G.configuration(hidden: 10, heads: heads, keyValueHeads: keyValueHeads, headDim: headDim,
                                        rotaryDim: rotaryDim, slidingWindow: window)
            let width = heads * headDim, keyValueWidth = keyValueHeads * headDim, hidden = c.hiddenSize
            let seed = UInt64(tokens * 10 + heads)
            let p = SoftmaxMixerReference.Parameters(
                query: G.random(width * hidden, seed: seed, scale: 0.8), key: G.random(keyValueWidth * hidden, seed: seed + 1, scale: 0.8),
                value: G.random(keyValueWidth * hidden, seed: seed + 2), output: G.random(hidden * width, seed: seed + 3))
            let x = G.random(tokens * hidden, seed: seed + 4), dOut = G.random(tokens * hidden, seed: seed + 5)
            let dX0 = G.random(tokens * hidden, seed: seed + 6)
            let label = "T=\(tokens) H=\(heads) Hkv=\(keyValueHeads) d=\(headDim) rotary=\(c.rotaryDim) window=\(window ?? 0)"
            var grads = SoftmaxMixerReference.Parameters(zerosFor: c), dX = dX0
            SoftmaxMixerReference.backward(x, tokens: tokens, configuration: c, parameters: p, outputGradient: dOut,
                                           gradients: &grads, inputGradient: &dX)
            func loss(_ x: [Double], _ p: SoftmaxMixerReference.Parameters) -> Double {
                G.dot(dOut, SoftmaxMixerReference.forward(x, tokens: tokens, configuration: c, parameters: p))
            }
            worst.fd(G.check("dX \(label)", values: x, analytic: zip(dX, dX0).map(-)) { loss($0, p) })
            worst.fd(G.check("dQuery \(label)", values: p.query, analytic: grads.query) { var q = p; q.query = $0; return loss(x, q) })
            worst.fd(G.check("dKey \(label)", values: p.key, analytic: grads.key) { var q = p; q.key = $0; return loss(x, q) })
            worst.fd(G.check("dValue \(label)", values: p.value, analytic: grads.value) { var q = p; q.value = $0; return loss(x, q) })
            worst.fd(G.check("dOutput \(label)", values: p.output, analytic: grads.output) { var q = p; q.output = $0; return loss(x, q) })

            let storage = ParameterStorage()
            let fastP = SoftmaxMixerParameters(query: storage.make(p.query), key: storage.make(p.key),
                                               value: storage.make(p.value), output: storage.make(p.output))
            let zero = SoftmaxMixerReference.Parameters(zerosFor: c)
            let fastG = SoftmaxMixerParameters(query: storage.make(zero.query), key: storage.make(zero.key),
                                               value: storage.make(zero.value), output: storage.make(zero.output))
            var out = [Float](repeating: 0, count: tokens * hidden), fastX = G.floats(dX0)
            let tape = SoftmaxMixerTraining.forward(G.floats(x), tokens: tokens, configuration: c, parameters: fastP, into: &out)
            worst.twin(G.compare("out \(label)", out,
                                 SoftmaxMixerReference.forward(x, tokens: tokens, configuration: c, parameters: p)))
            SoftmaxMixerTraining.backward(tape: tape, outputGradient: G.floats(dOut), configuration: c, parameters: fastP,
                                          gradients: fastG, inputGradient: &fastX)
            worst.twin(G.compare("dX \(label)", fastX, dX, baseline: dX0))
            worst.twin(G.compare("dQuery \(label)", ParameterStorage.read(fastG.query, p.query.count), grads.query))
            worst.twin(G.compare("dKey \(label)", ParameterStorage.read(fastG.key, p.key.count), grads.key))
            worst.twin(G.compare("dValue \(label)", ParameterStorage.read(fastG.value, p.value.count), grads.value))
            worst.twin(G.compare("dOutput \(label)", ParameterStorage.read(fastG.output, p.output.count), grads.output))
        }
        worst.report()
    }
}
