import Foundation
import Kernels
import MiniMax
import Tensors
import TestSupport
import XCTest

/// A sequence's logits through `forward(_ batch:caches:)` are bit for bit those of the sequence
/// alone (`forward(ids, cache:)` for its prompt, `decode` for each token), whatever else is in the
/// batch, in batches of 2, 7 and 32, at any row offset, mixed with other sequences' prompt chunks.
final class BatchInvarianceTests: XCTestCase {
    /// Hidden 64 and KV/short products, block 4 so prompts span several lightning blocks, two
    /// layers of each kind, wide enough that products split across threads.
    nonisolated(unsafe) static let config: [String: Any] = RandomCheckpoint.baseConfig.merging([
        "vocab_size": 300, "hidden_size": 160, "intermediate_size": 96, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "num_local_experts": 4,
        "block_size": 4,
    ]) { $1 }

    struct Probe {
        let prompt: [Int]
        let continuation: [Int]
        /// Logits alone: after the prompt, then after each continuation token.
        var alone: [[Float]] = []
    }

    func makeProbes(_ model: MiniMaxModel) throws -> [Probe] {
        var probes = [Probe(prompt: [5, 77, 3, 140, 9, 12, 250, 31, 8], continuation: [4, 99, 17, 2, 60]),
                      Probe(prompt: [42], continuation: [7, 7, 7]),
                      Probe(prompt: [200, 1, 2], continuation: [3, 150])]
        for i in probes.indices {
            var cache = model.makeCache()
            probes[i].alone.append(try model.forward(probes[i].prompt, cache: &cache, lastTokenOnly: true).data)
            var logits = [Float](repeating: 0, count: model.configuration.vocabularySize)
            for token in probes[i].continuation {
                try logits.withUnsafeMutableBufferPointer { try model.decode(token, cache: &cache, logits: $0.baseAddress!) }
                probes[i].alone.append(logits)
            }
        }
        return probes
    }

    /// Runs every probe through the batched path, each step padded with `others` random sequences
    /// (some decoding, some prefilling chunks) whose rows are shuffled around the probes' rows.
    func batchedLogits(_ model: MiniMaxModel, _ probes: [Probe], others: Int, seed: UInt64) throws -> [[[Float]]] {
        var random = SplitMix64(seed: seed)
        let vocabulary = model.configuration.vocabularySize
        var caches = (0..<(probes.count + others)).map { _ in model.makeCache() }
        var results = probes.map { _ in [[Float]]() }
        let steps = probes.map { $0.continuation.count }.max()! + 1
        for step in 0..<steps {
            var rows: [ModelBatch.Row] = []
            var probeOfLogitsRow: [Int?] = []
            for (p, probe) in probes.enumerated() where step <= probe.continuation.count {
                let tokens = step == 0 ? probe.prompt : [probe.continuation[step - 1]]
                for (i, token) in tokens.enumerated() {
                    rows.append(ModelBatch.Row(token: token, sequence: p, position: caches[p].position + i,
                                               wantsLogits: i == tokens.count - 1))
                }
            }
            for o in 0..<others {
                let sequence = probes.count + o
                let count = random.next(3) == 0 ? 1 + random.next(6) : 1
                for i in 0..<count {
                    rows.append(ModelBatch.Row(token: random.next(vocabulary), sequence: sequence,
                                               position: caches[sequence].position + i, wantsLogits: random.next(2) == 0))
                }
            }
            // Shuffle whole rows while keeping each sequence's own rows in order.
            var shuffled: [ModelBatch.Row] = []
            var queues = Dictionary(grouping: rows, by: \.sequence)
            var remaining = rows.count
            while remaining > 0 {
                let keys = queues.keys.sorted().filter { !(queues[$0]?.isEmpty ?? true) }
                let key = keys[random.next(keys.count)]
                shuffled.append(queues[key]!.removeFirst())
                remaining -= 1
            }
            var batch = ModelBatch()
            for row in shuffled {
                batch.add(token: row.token, sequence: row.sequence, position: row.position, wantsLogits: row.wantsLogits)
                if row.wantsLogits { probeOfLogitsRow.append(row.sequence < probes.count ? row.sequence : nil) }
            }
            let logits = try model.forward(batch, caches: &caches)
            XCTAssertEqual(logits.rows, probeOfLogitsRow.count)
            for (row, probe) in probeOfLogitsRow.enumerated() {
                if let probe { results[probe].append(Array(logits.row(row))) }
            }
        }
        return results
    }

    func testLogitsAreBitwiseEqualAloneAndInAnyBatch() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 2
        // Plain fp32 and bf16 weights, and bf16 weights quantized (int8 and q4: experts, attention and
        // LM head); each with exact activations, bf16 weights also with bf16 ones, quantized weights
        // also with int8 ones.
        for (dtype, scheme) in [(DType.float32, nil), (.bfloat16, nil), (.bfloat16, .int8), (.bfloat16, .q4)] as [(DType, QuantizationConfig.Scheme?)] {
            for precision in MatMulPrecision.allCases
            where precision == .exact || (precision == .bfloat16 && dtype == .bfloat16 && scheme == nil) || (precision == .int8 && scheme != nil) {
                let dir = try TestSupport.temporaryDirectory()
                defer { try? FileManager.default.removeItem(at: dir) }
                try RandomCheckpoint.write(Self.config, to: dir.appendingPathComponent("plain"), dtype: dtype)
                var modelDirectory = dir.appendingPathComponent("plain")
                if let scheme {
                    modelDirectory = dir.appendingPathComponent(scheme.rawValue)
                    let q = QuantizationConfig(scheme: scheme, groupSize: scheme == .q4 ? 32 : nil, scope: .all)
                    _ = try CheckpointQuantizer.quantize(model: dir.appendingPathComponent("plain"), out: modelDirectory, quantization: q)
                }
                let model = try MiniMaxModel.load(directory: modelDirectory, precision: precision)
                let probes = try makeProbes(model)
                for (others, seed) in [(0, 1), (1, 2), (6, 3), (31, 4), (31, 5)] as [(Int, UInt64)] {
                    let batched = try batchedLogits(model, probes, others: others, seed: seed)
                    for (p, probe) in probes.enumerated() {
                        XCTAssertEqual(batched[p].count, probe.alone.count)
                        for (step, logits) in batched[p].enumerated() where step < probe.alone.count {
                            XCTAssertTrue(logits == probe.alone[step],
                                           "\(dtype) \(scheme?.rawValue ?? "") \(precision): probe \(p) step \(step) in a batch with \(others) others (seed \(seed)): relative difference \(TestSupport.relativeError(logits, probe.alone[step]))")
                        }
                    }
                }
            }
        }
    }

    func testThreadCountDoesNotChangeBatchedLogits() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try RandomCheckpoint.write(Self.config, to: dir)
        let model = try MiniMaxModel.load(directory: dir)
        Parallel.threadCount = 1
        let probes = try makeProbes(model)
        Parallel.threadCount = 3
        let batched = try batchedLogits(model, probes, others: 6, seed: 9)
        for (p, probe) in probes.enumerated() { XCTAssertTrue(batched[p] == probe.alone, "probe \(p)") }
    }

    func testBadBatchesThrowWithoutTouchingCaches() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try RandomCheckpoint.write(Self.config, to: dir)
        let model = try MiniMaxModel.load(directory: dir)
        var caches = [model.makeCache(), model.makeCache()]
        var batch = ModelBatch()
        batch.add(tokens: [1, 2, 3], sequence: 0, firstPosition: 0)
        batch.add(token: 4, sequence: 2, position: 0, wantsLogits: true)
        XCTAssertThrowsError(try model.forward(batch, caches: &caches)) {
            XCTAssertEqual($0 as? BatchError, .sequenceOutOfRange(row: 3, sequence: 2, caches: 2))
        }
        batch = ModelBatch()
        batch.add(tokens: [1, 2], sequence: 0, firstPosition: 0)
        batch.add(token: 4, sequence: 1, position: 5, wantsLogits: true)
        XCTAssertThrowsError(try model.forward(batch, caches: &caches)) {
            XCTAssertEqual($0 as? BatchError, .positionMismatch(row: 2, sequence: 1, expected: 0, found: 5))
        }
        batch = ModelBatch()
        batch.add(tokens: [1, 2], sequence: 0, firstPosition: 0)
        batch.add(token: 300, sequence: 1, position: 0, wantsLogits: true)
        XCTAssertThrowsError(try model.forward(batch, caches: &caches)) {
            XCTAssertEqual($0 as? ModelError, .tokenOutOfRange(id: 300, position: 0, vocabularySize: 300))
        }
        XCTAssertEqual(caches.map(\.position), [0, 0])
        XCTAssertEqual(caches.map(\.byteCount), [model.makeCache().byteCount, model.makeCache().byteCount])
        XCTAssertThrowsError(try model.forward(ModelBatch(), caches: &caches))
    }
}
