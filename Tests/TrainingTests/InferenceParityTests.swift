import Foundation
import Kernels
@testable import MiniMax
import Tensors
import TestSupport
import Training
import XCTest

/// The training forwards compute what inference computes: each against the inference layer of
/// `MiniMax` (fresh cache, positions 0 ..< T) on the same random weights.
final class InferenceParityTests: XCTestCase {
    typealias G = GradientChecking

    /// Runs an inference mixer over one fresh sequence: x [T, D] → [T, D].
    func runInference(
        _ c: Configuration, tokens: Int, x: [Float],
        _ body: (UnsafePointer<Float>, RowLayout, UnsafeMutablePointer<ModelCache>, UnsafeMutablePointer<Float>) throws -> Void
    ) throws -> [Float] {
        var cache = ModelCache(configuration: c), out = [Float](repeating: 0, count: tokens * c.hiddenSize)
        var segment = [RowSegment(cache: 0, firstRow: 0, count: tokens)], noHead: [Int] = []
        try segment.withUnsafeMutableBufferPointer { segments in
            try noHead.withUnsafeMutableBufferPointer { head in
                let layout = RowLayout(
                    rows: tokens, singleRows: tokens == 1 ? 1 : 0, segments: UnsafeBufferPointer(segments),
                    headRows: UnsafeBufferPointer(head), headSingleRows: 0, headDestinations: UnsafeBufferPointer(head))
                try x.withUnsafeBufferPointer { x in
                    try out.withUnsafeMutableBufferPointer { out in
                        try body(x.baseAddress!, layout, &cache, out.baseAddress!)
                    }
                }
            }
        }
        return out
    }

    func view(_ values: [Float], _ shape: [Int]) -> TensorView { TensorView.owned(values, shape: shape) }

    func testLightningMixerForwardMatchesInference() throws {
        for (tokens, blockSize, layer) in [(1, 4, 0), (11, 4, 2), (37, 8, 0)] {
            let c = try G.configuration(hidden: 12, heads: 3, headDim: 8, blockSize: blockSize)
            let width = c.headCount * c.headDim, hidden = c.hiddenSize
            let qkv = TestSupport.randomValues(3 * width * hidden, seed: 1, scale: 0.5)
            let gate = TestSupport.randomValues(width * hidden, seed: 2), norm = TestSupport.randomValues(width, seed: 3)
            let outProj = TestSupport.randomValues(hidden * width, seed: 4, scale: 0.5)
            let x = TestSupport.randomValues(tokens * hidden, seed: 5)
            let inference = LightningAttentionLayer(
                weights: LightningAttentionWeights(qkvProjection: view(qkv, [3 * width, hidden]), outputGate: view(gate, [width, hidden]),
                                                   norm: norm, outputProjection: view(outProj, [hidden, width])),
                heads: c.headCount, headDim: c.headDim, blockSize: c.blockSize, normEpsilon: c.lightningNormEpsilon,
                slopes: c.lightningSlopes(layer: layer), precision: .exact)
            let expected = try runInference(c, tokens: tokens, x: x) { x, layout, caches, out in
                try inference.forward(x, layout: layout, caches: caches, layer: layer, into: out)
            }
            let storage = ParameterStorage()
            let p = LightningMixerParameters(
                qkv: storage.make(qkv.map(Double.init)), outputGate: storage.make(gate.map(Double.init)),
                norm: storage.make(norm.map(Double.init)), outputProjection: storage.make(outProj.map(Double.init)))
            var out = [Float](repeating: 0, count: tokens * hidden)
            _ = LightningMixerTraining.forward(x, tokens: tokens, configuration: c, layer: layer, parameters: p, into: &out)
            let error = TestSupport.relativeError(out, expected)
            print("[parity] \("lightning T=\(tokens) B=\(blockSize)") relative error \(error)")
            XCTAssertLessThan(error, 1e-6, "lightning T=\(tokens) B=\(blockSize)")
        }
    }

    func testSoftmaxMixerForwardMatchesInference() throws {
        for (tokens, rotaryDim, window) in [(1, 4, nil), (13, 4, nil), (70, 8, nil), (29, 8, 6)] as [(Int, Int, Int?)] {
            let c = try G.configuration(hidden: 12, heads: 4, keyValueHeads: 2, headDim: 8, rotaryDim: rotaryDim,
                                        slidingWindow: window)
            let width = c.headCount * c.headDim, keyValueWidth = c.keyValueHeadCount * c.headDim, hidden = c.hiddenSize
            let q = TestSupport.randomValues(width * hidden, seed: 1), k = TestSupport.randomValues(keyValueWidth * hidden, seed: 2)
            let v = TestSupport.randomValues(keyValueWidth * hidden, seed: 3), o = TestSupport.randomValues(hidden * width, seed: 4)
            let x = TestSupport.randomValues(tokens * hidden, seed: 5)
            let inference = SoftmaxAttentionLayer(
                weights: SoftmaxAttentionWeights(query: view(q, [width, hidden]), key: view(k, [keyValueWidth, hidden]),
                                                 value: view(v, [keyValueWidth, hidden]), output: view(o, [hidden, width])),
                heads: c.headCount, keyValueHeads: c.keyValueHeadCount, headDim: c.headDim, rotaryDim: c.rotaryDim,
                inverseFrequencies: RoPE.inverseFrequencies(theta: c.ropeTheta, rotaryDim: c.rotaryDim),
                slidingWindow: c.slidingWindow, precision: .exact)
            let expected = try runInference(c, tokens: tokens, x: x) { x, layout, caches, out in
                try inference.forward(x, layout: layout, caches: caches, layer: 1, into: out)
            }
            let storage = ParameterStorage()
            let p = SoftmaxMixerParameters(query: storage.make(q.map(Double.init)), key: storage.make(k.map(Double.init)),
                                           value: storage.make(v.map(Double.init)), output: storage.make(o.map(Double.init)))
            var out = [Float](repeating: 0, count: tokens * hidden)
            _ = SoftmaxMixerTraining.forward(x, tokens: tokens, configuration: c, parameters: p, into: &out)
            let error = TestSupport.relativeError(out, expected)
            print("[parity] \("softmax T=\(tokens) window=\(window ?? 0)") relative error \(error)")
            XCTAssertLessThan(error, 1e-6, "softmax T=\(tokens) window=\(window ?? 0)")
        }
    }

    func testMixtureOfExpertsForwardMatchesInference() throws {
        for (tokens, k) in [(1, 1), (9, 2), (40, 2)] {
            let c = try G.configuration(hidden: 12, experts: 5, expertsPerToken: k, intermediate: 7)
            let hidden = c.hiddenSize, inner = c.intermediateSize
            let router = TestSupport.randomValues(c.expertCount * hidden, seed: 1, scale: 2)
            let experts = (0..<c.expertCount).map { e in
                (0..<3).map { TestSupport.randomValues(inner * hidden, seed: UInt64(10 * e + $0 + 10)) }
            }
            let x = TestSupport.randomValues(tokens * hidden, seed: 5)
            let inference = MixtureOfExperts(
                weights: MixtureOfExpertsWeights(
                    router: view(router, [c.expertCount, hidden]),
                    experts: experts.map { ExpertWeights(gate: view($0[0], [inner, hidden]), up: view($0[1], [inner, hidden]),
                                                         down: view($0[2], [hidden, inner])) }),
                expertsPerToken: k, precision: .exact)
            var expected = [Float](repeating: 0, count: tokens * hidden)
            inference.forward(x, rows: tokens, singleRows: tokens == 1 ? 1 : 0, into: &expected)
            let storage = ParameterStorage()
            let p = MixtureOfExpertsParameters(
                router: storage.make(router.map(Double.init)),
                experts: experts.map { .init(gate: storage.make($0[0].map(Double.init)), up: storage.make($0[1].map(Double.init)),
                                             down: storage.make($0[2].map(Double.init))) })
            var out = [Float](repeating: 0, count: tokens * hidden)
            _ = MixtureOfExpertsTraining.forward(x, tokens: tokens, configuration: c, parameters: p, into: &out)
            let error = TestSupport.relativeError(out, expected)
            print("[parity] \("MoE T=\(tokens) top-\(k)") relative error \(error)")
            XCTAssertLessThan(error, 1e-6, "MoE T=\(tokens) top-\(k)")
        }
    }
}
