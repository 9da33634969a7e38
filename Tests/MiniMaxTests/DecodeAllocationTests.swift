import AllocationCounting
import Foundation
import Kernels
import MiniMax
import Tensors
import TestSupport
import XCTest

/// Decoding a token reuses scratch memory, the worker pool and the cache's pages: once warmed
/// up, `MiniMaxModel.decode` makes no heap allocation at all (on any thread).
final class DecodeAllocationTests: XCTestCase {
    /// Wide enough that every matrix-vector product is split across two threads (so the worker
    /// pool runs), with one lightning and one softmax layer.
    nonisolated(unsafe) static let config: [String: Any] = RandomCheckpoint.baseConfig.merging([
        "vocab_size": 512, "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2,
        "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 32, "num_local_experts": 3,
        "layer_types": ["linear_attention", "full_attention"],
    ]) { $1 }

    func testDecodeStepAllocatesNothing() throws {
        guard minimax_allocation_counting_supported() != 0 else {
            throw XCTSkip("allocation counting needs Linux with glibc")
        }
        let savedThreads = Parallel.threadCount
        defer { Parallel.threadCount = savedThreads }
        let int8 = QuantizationConfig(scheme: .int8, groupSize: nil, scope: .linear)
        let q4 = QuantizationConfig(scheme: .q4, groupSize: 32, scope: .linear)
        let cases: [(DType, Int, QuantizationConfig?, MatMulPrecision)] = [
            (.float32, 2, nil, .exact), (.bfloat16, 2, nil, .exact), (.float32, 1, nil, .exact), (.bfloat16, 2, int8, .exact),
            (.bfloat16, 2, q4, .exact),
            // int8 activations on the integer kernels, LM head included.
            (.bfloat16, 2, QuantizationConfig(scheme: .int8, groupSize: nil, scope: .all), .int8),
            (.bfloat16, 2, QuantizationConfig(scheme: .q4, groupSize: 32, scope: .all), .int8),
        ]
        for (dtype, threads, quantization, precision) in cases {
            Parallel.threadCount = threads
            let dir = try TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            var c = try RandomCheckpoint.write(Self.config, to: dir.appendingPathComponent("plain"), dtype: dtype)
            var modelDirectory = dir.appendingPathComponent("plain")
            if let quantization {
                modelDirectory = dir.appendingPathComponent(quantization.scheme.rawValue)
                _ = try CheckpointQuantizer.quantize(model: dir.appendingPathComponent("plain"), out: modelDirectory, quantization: quantization)
                c = try Configuration.load(directory: modelDirectory)
            }
            let model = try MiniMaxModel.load(directory: modelDirectory, precision: precision)
            var cache = model.makeCache()
            var logits = [Float](repeating: 0, count: c.vocabularySize)
            var allocations = -1
            try logits.withUnsafeMutableBufferPointer { logits in
                let out = logits.baseAddress!
                _ = try model.forward([3, 14, 15, 9, 26], cache: &cache)
                // Warm-up: scratch arenas and pool threads reach their working size.
                for token in [5, 35] { try model.decode(token, cache: &cache, logits: out) }
                // The counter sees every thread of the test process, and threads other tests left
                // behind (an HTTP server's event loops, retired pools) can allocate at any moment.
                // A per-token allocation shows in every window of 20 steps; one clean window out of
                // three proves there is none.
                var token = 8
                for _ in 0..<3 where allocations != 0 {
                    minimax_allocation_counting_start()
                    for _ in 0..<20 {
                        try model.decode(token, cache: &cache, logits: out)
                        token = 0
                        for i in 1..<c.vocabularySize where out[i] > out[token] { token = i }
                    }
                    allocations = minimax_allocation_counting_stop()
                }
            }
            XCTAssertEqual(allocations, 0, "\(dtype) \(quantization?.scheme.rawValue ?? "") \(precision), \(threads) threads: heap allocations in 20 decode steps (in each of 3 windows)")
            XCTAssertGreaterThanOrEqual(cache.position, 27)
        }
    }

    /// The checks every product makes of the kernel path and the CPU's features allocate nothing on
    /// any CPU, AMX and AVX-VNNI ones included (in a debug build an array literal of features would
    /// allocate on every call: decode on an AMX Xeon allocated 231 times a step that way).
    func testKernelDispatchChecksAllocateNothingOnAnyCPU() throws {
        guard minimax_allocation_counting_supported() != 0 else {
            throw XCTSkip("allocation counting needs Linux with glibc")
        }
        let zen4 = CPUFeatures.avx512.union([.avx2, .fma, .avx512BF16, .avx512VNNI])
        let cpus: [CPUFeatures] = [CPUFeatures(), [.avx2, .fma], [.avx2, .fma, .avxVNNI], zen4,
                                   zen4.union([.avxVNNI, .amxTile, .amxBF16, .amxInt8])]
        let paths = KernelPath.allCases
        var allocations = -1, yes = 0
        func count(_ value: Bool) { if value { yes += 1 } }
        for _ in 0..<3 where allocations != 0 {  // other tests' threads may allocate in one window
            minimax_allocation_counting_start()
            // Index loops: a for-in over an array allocates in a debug build by itself.
            for _ in 0..<10 {
                for c in 0..<cpus.count {
                    for p in 0..<paths.count { count(paths[p].isAvailable(on: cpus[c])) }
                }
                for p in 0..<paths.count {
                    let path = paths[p]
                    count(path.isAvailable())
                    count(path.usesAVX512QuantizedKernels)
                    count(path.usesBFloat16Dot)
                    count(path.usesVNNIKernels)
                    count(path.usesAVXVNNIKernels)
                    count(path.usesAVX2Int8Kernels)
                    count(path.usesAMXBFloat16)
                    count(path.canUseAMXInt8)
                    count(path.usesAMXInt8)
                    count(path.int8ActivationKernel == .vnni)
                }
            }
            allocations = minimax_allocation_counting_stop()
        }
        XCTAssertEqual(allocations, 0, "allocations in 10 rounds of kernel-path checks (\(yes) true)")
    }

    /// The counter itself works (so the test above cannot pass vacuously).
    func testCounterSeesAllocations() throws {
        guard minimax_allocation_counting_supported() != 0 else {
            throw XCTSkip("allocation counting needs Linux with glibc")
        }
        minimax_allocation_counting_start()
        let array = [Int](repeating: 1, count: Int.random(in: 100...200))
        let allocations = minimax_allocation_counting_stop()
        XCTAssertGreaterThan(array.count, 0)
        XCTAssertGreaterThanOrEqual(allocations, 1)
    }
}
