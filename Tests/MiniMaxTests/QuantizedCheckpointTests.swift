import Foundation
import Kernels
import MiniMax
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// `CheckpointQuantizer` → `WeightLoader`: the quantized weights come back within the scheme's
/// bound, untouched tensors come back as they were, the model runs, and malformed quantized
/// checkpoints fail with typed errors naming the tensor or field.
final class QuantizedCheckpointTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Widths that are multiples of 32 and one that is not (a q4 row with a partial last block).
    nonisolated(unsafe) static let config: [String: Any] = RandomCheckpoint.baseConfig.merging([
        "hidden_size": 64, "intermediate_size": 48, "head_dim": 16,
    ]) { $1 }

    func quantized(
        _ scheme: QuantizationConfig.Scheme, scope: QuantizationConfig.Scope = .experts, group: Int? = nil,
        head: QuantizationConfig.Scheme? = nil, attention: QuantizationConfig.Scheme? = nil
    ) throws -> (URL, URL) {
        let original = dir.appendingPathComponent("original")
        if !FileManager.default.fileExists(atPath: original.path) {
            try RandomCheckpoint.write(Self.config, to: original, dtype: .bfloat16)
        }
        let out = dir.appendingPathComponent("\(scheme)-\(scope)-\(group ?? 0)-\(head?.rawValue ?? "same")-\(attention?.rawValue ?? "same")")
        let q = QuantizationConfig(
            scheme: scheme, groupSize: group ?? (scheme == .q4 ? 32 : nil), scope: scope, attentionScheme: attention, headScheme: head)
        _ = try CheckpointQuantizer.quantize(model: original, out: out, quantization: q)
        return (original, out)
    }

    func weights(_ directory: URL) throws -> (Configuration, [String: TensorView]) {
        let c = try Configuration.load(directory: directory)
        let checkpoint = try Checkpoint(directory: directory)
        let source = ExpectedTensors(configuration: c, available: Set(checkpoint.weightMap.keys))
        var views: [String: TensorView] = [:]
        for p in ParameterTree(c).parameters { views[p.name] = try source.tensor(for: p, in: checkpoint) }
        return (c, views)
    }

    func testRoundTripStaysWithinTheBoundAndLeavesTheRestAlone() throws {
        for (scheme, scope, group, head) in [
            (QuantizationConfig.Scheme.int8, QuantizationConfig.Scope.experts, nil as Int?, nil as QuantizationConfig.Scheme?),
            (.int8, .linear, 32, nil), (.q4, .experts, 32, nil), (.q4, .linear, 64, nil), (.int8, .all, nil, nil), (.q4, .all, 32, nil),
            (.q4, .all, 64, .int8), (.int8, .all, nil, .q4),
        ] {
            // Attention of its own scheme too where the head has one.
            let attention = head
            let (original, out) = try quantized(scheme, scope: scope, group: group, head: head, attention: attention)
            let (_, before) = try weights(original)
            let (c, after) = try weights(out)
            XCTAssertEqual(c.quantization?.scheme, scheme)
            XCTAssertEqual(after[TensorNames.lmHead]!.dtype, scope == .all ? (head ?? scheme).dtype : .bfloat16, "\(scheme) \(scope): lm_head")
            if scope == .all, let head {
                // A head and attention of their own scheme: int8 with one scale per row, q4 with groups of 32.
                XCTAssertEqual(after[TensorNames.lmHead]!.quantization!.groupSize, head == .q4 ? 32 : c.hiddenSize, "lm_head group")
                let query = after[TensorNames.softmax(1)[0]] ?? after[TensorNames.lightning(0)[0]]!
                XCTAssertEqual(query.dtype, head.dtype, "attention of its own scheme")
                XCTAssertEqual(query.quantization!.groupSize, head == .q4 ? 32 : query.shape[1], "attention group")
            }
            XCTAssertEqual(after[TensorNames.embedding]!.dtype, .bfloat16, "\(scheme) \(scope): the embedding keeps its precision")
            for p in ParameterTree(c).parameters {
                let a = before[p.name]!, b = after[p.name]!
                XCTAssertEqual(b.shape, p.shape, p.name)
                guard c.quantization!.applied(to: p.role) != nil else {
                    XCTAssertEqual(b.dtype, a.dtype, p.name)
                    XCTAssertEqual(b.toFloatArray(), a.toFloatArray(), "\(scheme) \(scope): \(p.name) must be copied as it was")
                    continue
                }
                XCTAssertEqual(b.dtype, c.quantization!.applied(to: p.role)!.scheme.dtype, p.name)
                let q = b.quantization!, k = p.shape[1], groups = q.groups(k: k)
                for i in 0..<p.elementCount {
                    let step = HalfPrecision.float(fromBFloat16: q.scales[(i / k) * groups + (i % k) / q.groupSize])
                    XCTAssertLessThanOrEqual(abs(b.element(i) - a.element(i)), 0.75 * step + 1e-7, "\(scheme) \(scope) \(p.name)[\(i)]")
                }
            }
        }
    }

    /// The quantized model computes what an fp32 model holding its dequantized weights computes
    /// (so every product, row-wise and tiled, read the codes right), and decoding token by token
    /// gives the one-pass logits.
    func testQuantizedModelEqualsItsDequantizedTwin() throws {
        let ids = [3, 14, 15, 9, 26, 5, 35]
        for scheme in QuantizationConfig.Scheme.allCases {
            let (original, out) = try quantized(scheme, scope: .all)
            let model = try MiniMaxModel.load(directory: out)
            var oneCache = model.makeCache(), stepCache = model.makeCache()
            let onePass = try model.forward(ids, cache: &oneCache)
            var stepped: [Float] = []
            for id in ids { stepped += try model.forward([id], cache: &stepCache).data }
            XCTAssertLessThan(TestSupport.relativeError(stepped, onePass.data), 1e-5, "\(scheme): decode vs prefill")

            let (c, views) = try weights(out)
            let twin = dir.appendingPathComponent("\(scheme)-dequantized")
            try FileManager.default.createDirectory(at: twin, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: original.appendingPathComponent("config.json"), to: twin.appendingPathComponent("config.json"))
            let tensors = ParameterTree(c).parameters.map { p in
                (name: p.name, tensor: TensorView.owned(views[p.name]!.toFloatArray(), shape: p.shape, dtype: .float32))
            }
            try SafeTensorsWriter.write(tensors, to: twin.appendingPathComponent("model.safetensors"))
            let dequantized = try MiniMaxModel.load(directory: twin)
            var twinCache = dequantized.makeCache()
            let expected = try dequantized.forward(ids, cache: &twinCache)
            XCTAssertLessThan(TestSupport.relativeError(onePass.data, expected.data), 1e-5, "\(scheme) vs its dequantized twin")
        }
    }

    /// `precision: .int8` multiplies int8-quantized activations on the integer kernels: its logits
    /// differ from the fp32-activation ones (so the path ran) by about what 8-bit activations cost,
    /// and decoding token by token stays as close to the one-pass logits. (Prefill and decode differ
    /// in the last bits of the exact parts, attention above all, and an activation that lands on a
    /// rounding boundary then takes the neighbouring code, so they are close, not bit-equal.) The
    /// model: 256 wide, weights at half the usual random scale, so that these few-percent changes
    /// are not amplified by a chaotic random network (the shared test model's weights are doubled).
    func testInt8ActivationsStayCloseToExactActivations() throws {
        let ids = [3, 14, 15, 9, 26, 5, 35]
        let config = RandomCheckpoint.baseConfig.merging([
            "hidden_size": 256, "intermediate_size": 128, "head_dim": 32, "num_attention_heads": 4, "num_key_value_heads": 2,
        ]) { $1 }
        let original = dir.appendingPathComponent("wide")
        let c = try Configuration.decode(JSONSerialization.data(withJSONObject: config))
        try RandomCheckpointWriter.write(c, to: original, dtype: .bfloat16, seed: 1, scale: 0.5)
        for scheme in QuantizationConfig.Scheme.allCases {
            let out = dir.appendingPathComponent("wide-\(scheme)")
            _ = try CheckpointQuantizer.quantize(model: original, out: out, quantization: QuantizationConfig(
                scheme: scheme, groupSize: scheme == .q4 ? 32 : nil, scope: .all))
            let exactModel = try MiniMaxModel.load(directory: out)
            var exactCache = exactModel.makeCache()
            let exact = try exactModel.forward(ids, cache: &exactCache)
            let model = try MiniMaxModel.load(directory: out, precision: .int8)
            var oneCache = model.makeCache(), stepCache = model.makeCache()
            let onePass = try model.forward(ids, cache: &oneCache)
            var stepped: [Float] = []
            for id in ids { stepped += try model.forward([id], cache: &stepCache).data }
            XCTAssertLessThan(TestSupport.relativeError(stepped, onePass.data), 3e-2, "\(scheme) int8 activations: decode vs prefill")
            let difference = TestSupport.relativeError(onePass.data, exact.data)
            XCTAssertGreaterThan(difference, 1e-4, "\(scheme): int8 activations must change the logits (did the integer path run?)")
            XCTAssertLessThan(difference, 3e-2, "\(scheme): int8 activations vs fp32 activations")
        }
    }

    /// A transformers save with fused expert tensors (`mlp.experts.gate_up_proj` [E, 2I, D],
    /// `down_proj` [E, D, I]) quantizes along the same rows as one tensor per expert, so both give
    /// the same codes and the same logits.
    func testFusedExpertTensorsQuantizeLikeSeparateOnes() throws {
        let (original, separate) = try quantized(.q4)
        let c = try Configuration.load(directory: original)
        let checkpoint = try Checkpoint(directory: original)
        let fused = dir.appendingPathComponent("fused")
        try FileManager.default.createDirectory(at: fused, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: original.appendingPathComponent("config.json"), to: fused.appendingPathComponent("config.json"))
        var tensors: [(name: String, tensor: TensorView)] = []
        for name in checkpoint.tensorNames where !name.contains(".experts.") {
            tensors.append((name.replacingOccurrences(of: "block_sparse_moe.gate", with: "mlp.gate"), try checkpoint.tensor(name)))
        }
        for l in 0..<c.layerCount {
            var gateUp: [Float] = [], down: [Float] = []
            for e in 0..<c.expertCount {
                let n = TensorNames.expert(l, e, module: "block_sparse_moe")
                gateUp += try checkpoint.tensor(n[0]).toFloatArray() + checkpoint.tensor(n[1]).toFloatArray()
                down += try checkpoint.tensor(n[2]).toFloatArray()
            }
            tensors.append((TensorNames.fusedGateUp(l, module: "mlp"), TensorView.owned(
                gateUp, shape: [c.expertCount, 2 * c.intermediateSize, c.hiddenSize], dtype: .bfloat16)))
            tensors.append((TensorNames.fusedDown(l, module: "mlp"), TensorView.owned(
                down, shape: [c.expertCount, c.hiddenSize, c.intermediateSize], dtype: .bfloat16)))
        }
        try SafeTensorsWriter.write(tensors, to: fused.appendingPathComponent("model.safetensors"))
        let fusedQ4 = dir.appendingPathComponent("fused-q4")
        let summary = try CheckpointQuantizer.quantize(
            model: fused, out: fusedQ4, quantization: QuantizationConfig(scheme: .q4, groupSize: 32, scope: .experts))
        XCTAssertEqual(summary.quantizedTensors, 2 * c.layerCount)
        let ids = [3, 14, 15, 9, 26]
        var logits: [[Float]] = []
        for directory in [separate, fusedQ4] {
            let model = try MiniMaxModel.load(directory: directory)
            var cache = model.makeCache()
            logits.append(try model.forward(ids, cache: &cache).data)
        }
        XCTAssertEqual(logits[0], logits[1])
    }

    func testMalformedQuantizedCheckpointsGiveTypedErrors() throws {
        let (_, q4) = try quantized(.q4)
        let configURL = q4.appendingPathComponent("config.json")
        let good = try Data(contentsOf: configURL)
        func withQuantization(_ change: (inout [String: Any]) -> Void) throws {
            var config = try JSONSerialization.jsonObject(with: good) as! [String: Any]
            var q = config["quantization_config"] as! [String: Any]
            change(&q)
            config["quantization_config"] = q
            try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        }
        defer { try? good.write(to: configURL) }
        let firstExpert = "model.layers.0.block_sparse_moe.experts.0.w1.weight"

        try withQuantization { $0["scheme"] = "q3" }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: q4)) { error in
            guard case ConfigurationError.unsupported(_, let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "quantization_config.scheme")
        }
        try withQuantization { $0["quant_method"] = "gptq" }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: q4)) { error in
            guard case ConfigurationError.unsupported(_, let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "quantization_config.quant_method")
        }
        try withQuantization { $0["lm_head_scheme"] = "q5" }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: q4)) { error in
            guard case ConfigurationError.unsupported(_, let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "quantization_config.lm_head_scheme")
        }
        // A head or attention scheme where they are not quantized.
        for key in ["lm_head_scheme", "attention_scheme"] {
            try withQuantization { $0[key] = "int8" }
            XCTAssertThrowsError(try MiniMaxModel.load(directory: q4)) { error in
                guard case ConfigurationError.invalidField(_, let field, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(field, "quantization_config.\(key)")
            }
        }
        try withQuantization { $0["group_size"] = 48 }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: q4)) { error in
            guard case ConfigurationError.invalidField(_, let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "quantization_config.group_size")
        }
        // Scales made for groups of 32 read as groups of 64: wrong scale shapes.
        try withQuantization { $0["group_size"] = 64 }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: q4)) { error in
            guard case WeightError.wrongScaleShape(let name, _, let expected, let actual) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(name.hasSuffix("_scale"), name)
            XCTAssertEqual(expected.last, 1)
            XCTAssertEqual(actual.last, 2)
        }
        // q4 codes (U8) read as int8 (I8): wrong dtype, naming the codes.
        try withQuantization { $0["scheme"] = "int8"; $0["group_size"] = -1 }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: q4)) { error in
            XCTAssertEqual(error as? WeightError, .wrongDType(
                name: firstExpert, file: q4.appendingPathComponent("model.safetensors").path, expected: "I8", actual: "U8"))
        }
        // A plain checkpoint whose config claims quantization: the codes' dtype is wrong.
        let original = dir.appendingPathComponent("original")
        let originalConfig = try Data(contentsOf: original.appendingPathComponent("config.json"))
        var claimed = try JSONSerialization.jsonObject(with: originalConfig) as! [String: Any]
        claimed["quantization_config"] = ["quant_method": "minimax", "scheme": "int8", "group_size": -1]
        try JSONSerialization.data(withJSONObject: claimed).write(to: original.appendingPathComponent("config.json"))
        defer { try? originalConfig.write(to: original.appendingPathComponent("config.json")) }
        XCTAssertThrowsError(try MiniMaxModel.load(directory: original)) { error in
            guard case WeightError.wrongDType(let name, _, "I8", "BF16") = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, firstExpert)
        }
    }

    func testQuantizerRefusals() throws {
        let (original, q4) = try quantized(.q4)
        let q = QuantizationConfig(scheme: .int8, groupSize: nil, scope: .experts)
        XCTAssertThrowsError(try CheckpointQuantizer.quantize(model: original, out: q4, quantization: q)) {
            XCTAssertEqual($0 as? QuantizationError, .outputExists(path: q4.path))
        }
        let again = dir.appendingPathComponent("again")
        XCTAssertThrowsError(try CheckpointQuantizer.quantize(model: q4, out: again, quantization: q)) {
            XCTAssertEqual($0 as? QuantizationError, .alreadyQuantized(path: q4.path))
        }
        XCTAssertThrowsError(try CheckpointQuantizer.quantize(
            model: original, out: again, quantization: QuantizationConfig(scheme: .q4, groupSize: 40, scope: .experts)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: again.path), "nothing written on failure")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
        XCTAssertEqual(leftovers, [], "no staging directory left behind")
    }
}
