import Foundation
import MiniMax
import Planning
import SafeTensors
import Tensors
import TestSupport
import XCTest

final class CostSheetTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testM1NumbersMatchTheReportAndTheParameterCount() throws {
        let c = try M1Fixture.configuration()
        let sheet = ModelCostSheet(miniMax: c)
        let counts = ParameterCount(c)
        XCTAssertEqual(sheet.totalParameters, counts.total)
        XCTAssertEqual(sheet.activeParameters, counts.activePerToken)
        XCTAssertEqual(Double(sheet.totalParameters) / 1e9, 456.09, accuracy: 0.005)
        XCTAssertEqual(Double(sheet.activeParameters) / 1e9, 45.94, accuracy: 0.005)
        XCTAssertEqual(sheet.constantStateBytes, 70 * 64 * 128 * 128 * 4)
        XCTAssertEqual(sheet.cacheElementsPerToken, 10 * 2 * 8 * 128)
        // The MiniMax-01 report's 1M-token claim: the bf16 KV cache of 1M tokens and int8 weights
        // fit one 8 × 80 GB node.
        let plan = InferencePlan(sheet: sheet, format: .int8, cacheType: .bf16, context: 1 << 20, batch: 1)
        XCTAssertEqual(plan.cacheBytesPerToken * (1 << 20), 42_949_672_960)
        XCTAssertLessThan(Double(plan.totalBytes), Hardware.presets["8xH800"]!.memoryBytes)
        let bf16 = InferencePlan(sheet: sheet, format: .bf16, cacheType: .bf16, context: 1 << 20, batch: 1)
        XCTAssertGreaterThan(Double(bf16.totalBytes), Hardware.presets["8xH800"]!.memoryBytes)
    }

    /// Every multiply-add of a decode step, counted by running a tiny model through plain loops
    /// (whose logits are checked against the engine's), equals the planner's closed form.
    func testMultiplyAddsEqualABruteForceCountOfARunningModel() throws {
        for window in [nil, 3] as [Int?] {
            var json = M1Fixture.tinyJSON
            if let window { json["sliding_window"] = window }
            let c = try M1Fixture.tiny(json)
            let directory = dir.appendingPathComponent("tiny-\(window ?? 0)")
            try RandomCheckpointWriter.write(c, to: directory, dtype: .float32, seed: 7, scale: 2)
            let ids = [3, 17, 42, 5, 9, 51, 0]
            let model = try MiniMaxModel.load(directory: directory)
            var cache = model.makeCache()
            let engine = try model.forward(ids, cache: &cache)
            let counting = try CountingDecoder(configuration: c, directory: directory)
            let sheet = ModelCostSheet(miniMax: c)
            var total = 0
            for (t, id) in ids.enumerated() {
                let logits = try counting.decode(id)
                if window == nil {  // the plain-loop decoder attends to everything: the model only without a window
                    let row = Array(engine.data[(t * c.vocabularySize)..<((t + 1) * c.vocabularySize)])
                    XCTAssertLessThan(TestSupport.relativeError(logits.map(Float.init), row), 1e-4, "position \(t)")
                    XCTAssertEqual(sheet.multiplyAdds(afterContext: t), counting.multiplyAdds, "position \(t)")
                }
                total += window == nil ? counting.multiplyAdds : sheet.multiplyAdds(afterContext: t)
            }
            if window != nil {
                // Windowed: per token min(t + 1, W) positions; the cumulative closed form must agree.
                let perToken = (0..<ids.count).map { sheet.multiplyAdds(afterContext: $0) }
                XCTAssertEqual(perToken[5] - perToken[2], 0)
                XCTAssertGreaterThan(perToken[2], perToken[1])
            }
            XCTAssertEqual(sheet.flops(tokens: ids.count, startingAt: 0), 2 * Double(total))
            let tail = (3..<ids.count).reduce(0) { $0 + sheet.multiplyAdds(afterContext: $1) }
            XCTAssertEqual(sheet.flops(tokens: ids.count - 3, startingAt: 3), 2 * Double(tail))
        }
    }

    /// Parameters and fp32 bytes equal the elements and bytes of a checkpoint written to disk.
    func testCountsEqualTheTensorsOfAWrittenCheckpoint() throws {
        let c = try M1Fixture.tiny()
        try RandomCheckpointWriter.write(c, to: dir, dtype: .float32, seed: 1)
        let checkpoint = try Checkpoint(directory: dir)
        var elements = 0, bytes = 0
        for name in checkpoint.weightMap.keys {
            let entry = try checkpoint.entry(name)
            elements += entry.shape.reduce(1, *)
            bytes += try checkpoint.tensor(name).byteCount
        }
        let plan = InferencePlan(sheet: ModelCostSheet(miniMax: c), format: .fp32, cacheType: .fp32, context: 0, batch: 1)
        XCTAssertEqual(ModelCostSheet(miniMax: c).totalParameters, elements)
        XCTAssertEqual(plan.weightBytes, bytes)
    }

    /// The per-sequence cache equals the engine's cache after a page-aligned prompt (fp32 KV).
    func testCacheBytesEqualTheEnginesCache() throws {
        let c = try M1Fixture.tiny()
        try RandomCheckpointWriter.write(c, to: dir, dtype: .float32, seed: 2)
        let model = try MiniMaxModel.load(directory: dir)
        var cache = model.makeCache()
        _ = try model.forward((0..<256).map { $0 % c.vocabularySize }, cache: &cache, lastTokenOnly: true)
        let plan = InferencePlan(sheet: ModelCostSheet(miniMax: c), format: .fp32, cacheType: .fp32, context: 256, batch: 1)
        XCTAssertEqual(cache.byteCount, plan.sequenceBytes(tokens: 256))
    }

    /// `bench --synthetic-context`: the cache grows to the planned size and decoding goes on from there.
    func testSyntheticContextReachesThePlannedCacheSize() throws {
        let c = try M1Fixture.tiny()
        try RandomCheckpointWriter.write(c, to: dir, dtype: .float32, seed: 3)
        let model = try MiniMaxModel.load(directory: dir)
        var cache = model.makeCache()
        _ = try model.forward([1, 2, 3], cache: &cache, lastTokenOnly: true)
        cache.extendSynthetically(to: 1024)
        XCTAssertEqual(cache.position, 1024)
        let plan = InferencePlan(sheet: ModelCostSheet(miniMax: c), format: .fp32, cacheType: .fp32, context: 1024, batch: 1)
        XCTAssertEqual(cache.byteCount, plan.sequenceBytes(tokens: 1024))
        let logits = try model.forward([4], cache: &cache, lastTokenOnly: true)
        XCTAssertTrue(logits.data.allSatisfy(\.isFinite))
        XCTAssertEqual(cache.position, 1025)
    }

    func testIntegerFormatsCountValuesAndGroupScales() {
        let w = PlannedWeight(name: "w", shape: [3, 130], role: .expert, part: "experts")
        XCTAssertEqual(WeightFormat.bf16.bytes(of: w), 780)
        XCTAssertEqual(WeightFormat.int8.bytes(of: w), 390 + 3 * 2 * 2)  // 2 groups of ≤ 128 per row
        XCTAssertEqual(WeightFormat.int4.bytes(of: w), 3 * 65 + 3 * 2 * 2)
        let router = PlannedWeight(name: "r", shape: [4, 130], role: .router, part: "router")
        XCTAssertEqual(WeightFormat.int4.bytes(of: router), 4 * 130 * 4)
        let head = PlannedWeight(name: "h", shape: [4, 130], role: .lmHead, part: "LM head")
        XCTAssertEqual(WeightFormat.int8.bytes(of: head), 4 * 130 * 2)
    }

    func testExpectedDistinctExperts() {
        XCTAssertEqual(InferencePlan.expectedDistinctExperts(experts: 32, perToken: 2, tokens: 1), 2, accuracy: 1e-12)
        XCTAssertEqual(InferencePlan.expectedDistinctExperts(experts: 32, perToken: 2, tokens: 10_000), 32, accuracy: 1e-9)
        // Two tokens: 2 + 2 · (30 / 32) expected.
        XCTAssertEqual(InferencePlan.expectedDistinctExperts(experts: 32, perToken: 2, tokens: 2), 2 + 2 * 30.0 / 32, accuracy: 1e-12)
    }

    func testDeepSeekR1ShapeMatchesItsPublishedSize() throws {
        let path = M1Fixture.repositoryRoot.appendingPathComponent("docs/plan/deepseek-r1-config.json").path
        let sheet = ModelCostSheet(deepSeek: try DeepSeekConfiguration.load(path: path))
        // DeepSeek-V3's "671B total" is the main model, without the 14B multi-token-prediction module.
        XCTAssertEqual(Double(sheet.totalParameters) / 1e9, 671, accuracy: 1)
        let withHead = sheet.activeParameters + sheet.parametersByPart.first { $0.part == "LM head" }!.total
        XCTAssertEqual(Double(withHead) / 1e9, 37, accuracy: 1)
        XCTAssertEqual(sheet.cacheElementsPerToken, 61 * 576)
        XCTAssertEqual(sheet.attentionMultiplyAddsPerPosition, 61 * 128 * (192 + 128))
    }

    func testBadComparisonConfigsNameTheField() throws {
        let path = M1Fixture.repositoryRoot.appendingPathComponent("docs/plan/deepseek-r1-config.json").path
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        let url = dir.appendingPathComponent("r1.json")
        func expect(_ change: (inout [String: Any]) -> Void, _ field: String) throws {
            var copy = object
            change(&copy)
            try JSONSerialization.data(withJSONObject: copy).write(to: url)
            XCTAssertThrowsError(try DeepSeekConfiguration.load(path: url.path)) { error in
                XCTAssertTrue("\(error)".contains(field), "\(error) should name \(field)")
            }
        }
        try expect({ $0["kv_lora_rank"] = nil }, "kv_lora_rank")
        try expect({ $0["num_experts_per_tok"] = 300 }, "num_experts_per_tok")
        try expect({ $0["first_k_dense_replace"] = 70 }, "first_k_dense_replace")
        try expect({ $0["hidden_size"] = "big" }, "hidden_size")
        try expect({ $0["v_head_dim"] = 0 }, "v_head_dim")
        object = [:]
    }

    func testHardwareFilesAndPresets() throws {
        let url = dir.appendingPathComponent("box.json")
        try Data(#"{"name": "box", "memory_gb": 64, "bandwidth_gb_per_s": 50, "peak_tflop_per_s": 0.45}"#.utf8).write(to: url)
        let box = try Hardware.resolve(url.path)
        XCTAssertEqual(box.memoryBytes, 64e9)
        XCTAssertEqual(box.peakFLOPPerSecond, 0.45e12, accuracy: 1)
        for (text, field) in [(#"{"memory_gb": 64, "bandwidth_gb_per_s": 50}"#, "peak_tflop_per_s"),
                              (#"{"memory_gb": -1, "bandwidth_gb_per_s": 50, "peak_tflop_per_s": 1}"#, "memory_gb"),
                              (#"{"memory_gb": 1, "bandwidth_gb_per_s": 50, "peak_tflop_per_s": 1, "cores": 4}"#, "cores")] {
            try Data(text.utf8).write(to: url)
            XCTAssertThrowsError(try Hardware.resolve(url.path)) { XCTAssertTrue("\($0)".contains(field), "\($0)") }
        }
        XCTAssertThrowsError(try Hardware.resolve("9xH900")) { XCTAssertTrue("\($0)".contains("8xH800"), "\($0)") }
    }
}
