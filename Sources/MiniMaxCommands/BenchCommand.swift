import ArgumentParser
import Foundation
import Kernels
import MiniMax
import Tensors

/// `minimax bench`: prefill and decode speed, time per layer kind, memory, and decode bandwidth
/// next to the machine's own streaming-read bandwidth.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure prefill/decode throughput, per-part time, memory and bandwidth.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, parsing: .unconditional, help: "Prompt lengths to prefill, comma-separated.")
    var promptTokens: String = "512"

    @Option(name: .long, parsing: .unconditional, help: "Tokens to decode after the first prompt and after each --context.")
    var decodeTokens: Int = 128

    @Option(name: .long, parsing: .unconditional, help: "Context lengths after which to time decoding, comma-separated (e.g. 1024,32768).")
    var context: String?

    @Flag(name: .long, help: "Reach each --context by prefilling at most 1024 real tokens and filling the softmax layers' KV caches up to the context with synthetic entries (decode cost depends on the cache's length, not its contents; seconds instead of minutes at 128K).")
    var syntheticContext = false

    @Option(name: .long, parsing: .unconditional, help: "Tokens per forward call while prefilling.")
    var prefillChunk: Int = 2048

    @Option(name: .long, parsing: .unconditional, help: "Also time batched decoding: N sequences (each after the first prompt) decoding together, comma-separated (e.g. 1,8,32).")
    var batch: String?

    @Flag(name: .long, help: "Skip the streaming-read bandwidth measurement.")
    var skipBandwidth = false

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard decodeTokens >= 1 else { throw ValidationError("--decode-tokens must be at least 1") }
        guard prefillChunk >= 1 else { throw ValidationError("--prefill-chunk must be at least 1") }
        guard try parseTokenIDs(promptTokens, option: "--prompt-tokens").allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--prompt-tokens: every length must be at least 1")
        }
        if let context {
            let longestPrompt = try parseTokenIDs(promptTokens, option: "--prompt-tokens").max() ?? 0
            for n in try parseTokenIDs(context, option: "--context") where n < longestPrompt {
                throw ValidationError("--context \(n) is shorter than the --prompt-tokens \(longestPrompt): a context is the prompt length after which decoding is timed, at least the prompts' (decoding after the first prompt is always timed)")
            }
        }
        if let batch, try !parseTokenIDs(batch, option: "--batch").allSatisfy({ (1...4096).contains($0) }) {
            throw ValidationError("--batch: every batch size must be between 1 and 4096")
        }
    }

    struct Report: Encodable {
        struct Prefill: Encodable { let tokens: Int; let seconds: Double; let tokens_per_second: Double }
        struct Decode: Encodable {
            let context: Int; let tokens: Int; let seconds: Double; let tokens_per_second: Double
            let milliseconds_per_token: Double; let cache_bytes: Int
            /// CPU time (user + system, all threads) per token: with --threads 1 on a busy machine,
            /// the work itself, without the time other processes held the core.
            let cpu_milliseconds_per_token: Double
        }
        var model: String
        var threads: Int
        /// "exact" or "bf16" (`--precision`).
        var precision: String
        var weight_bytes_per_token: Int
        /// The checkpoint's `quantization_config` scheme ("int8", "q4") or "none".
        var quantization: String
        /// The CPU's detected features and the kernel path that ran (`KernelPath`).
        var cpu_features: String
        var kernel_path: String
        /// Every weight of the model (what it holds in memory).
        var weight_bytes: Int
        var streaming_read_gb_per_s: Double?
        var prefill: [Prefill] = []
        var decode: [Decode] = []
        var batched_decode: [BatchedDecode] = []
        /// For the last batch size.
        var batched_decode_seconds_by_part: [String: Double] = [:]
        var decode_bandwidth_gb_per_s: Double = 0
        var decode_bandwidth_fraction: Double?
        var prefill_seconds_by_part: [String: Double] = [:]
        /// Of the last prefill, the share of wall time in the tiled rows of weight products
        /// (`TiledProductClock`: the matrix kernels), across all parts.
        var prefill_tiled_product_share: Double?
        var decode_seconds_by_part: [String: Double] = [:]
        /// The process's peak resident memory (ru_maxrss) before the streaming-read measurement,
        /// whose 1 GiB buffer would otherwise dominate small models: weights, caches, scratch.
        var peak_resident_bytes: Int = 0
    }

    func run() throws {
        let model = try options.loadModel()
        let c = model.configuration
        var report = Report(
            model: options.directory.lastPathComponent, threads: Parallel.threadCount,
            precision: options.precision.rawValue, weight_bytes_per_token: model.weights.bytesReadPerToken(expertsPerToken: c.expertsPerToken),
            quantization: c.quantization.map { "\($0.scheme.rawValue) \($0.scope.rawValue), group \($0.groupSize.map(String.init) ?? "row")" } ?? "none",
            cpu_features: CPUFeatures.detected.description, kernel_path: KernelPath.selected.description,
            weight_bytes: model.weights.byteCount(configuration: c))
        let profile = ForwardProfile()
        model.profile = profile

        // Warm up: map every weight page in (all experts get tokens) and fault in scratch memory.
        let lengths = try parseTokenIDs(promptTokens, option: "--prompt-tokens")
        var warm = model.makeCache()
        try prefill(model, tokens(min(lengths.first ?? 512, 1024), c.vocabularySize), &warm)
        for _ in 0..<4 { _ = try model.forward([1], cache: &warm, lastTokenOnly: true) }

        var firstCache: ModelCache?
        for n in lengths {
            var cache = model.makeCache()
            profile.reset()
            TiledProductClock.start()
            let seconds = try time { try prefill(model, tokens(n, c.vocabularySize), &cache) }
            TiledProductClock.stop()
            report.prefill_tiled_product_share = TiledProductClock.seconds / seconds
            report.prefill.append(.init(tokens: n, seconds: seconds, tokens_per_second: Double(n) / seconds))
            report.prefill_seconds_by_part = named(profile.seconds)
            if firstCache == nil { firstCache = cache }
        }
        if let cache = firstCache, let n = lengths.first {
            for size in try batch.map({ try parseTokenIDs($0, option: "--batch") }) ?? [] {
                profile.reset()
                report.batched_decode.append(try batchedDecode(model, after: cache, context: n, sequences: size))
                report.batched_decode_seconds_by_part = named(profile.seconds)
            }
        }
        if var cache = firstCache, let n = lengths.first {
            profile.reset()
            let d = try decode(model, &cache, context: n)
            report.decode.append(d)
            report.decode_seconds_by_part = named(profile.seconds)
            report.decode_bandwidth_gb_per_s = Double(report.weight_bytes_per_token) * d.tokens_per_second / 1e9
        }
        model.profile = nil
        for n in try context.map({ try parseTokenIDs($0, option: "--context") }) ?? [] {
            var cache = model.makeCache()
            try prefill(model, tokens(syntheticContext ? min(n, 1024) : n, c.vocabularySize), &cache)
            if syntheticContext { cache.extendSynthetically(to: n) }
            report.decode.append(try decode(model, &cache, context: n))
        }
        report.peak_resident_bytes = peakResidentBytes()
        if !skipBandwidth {
            report.streaming_read_gb_per_s = MemoryBandwidth.measureStreamingRead() / 1e9
            if !report.decode.isEmpty {
                report.decode_bandwidth_fraction = report.streaming_read_gb_per_s.map { report.decode_bandwidth_gb_per_s / $0 }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(table(report))
        }
    }

    /// Deterministic pseudo-random ids.
    func tokens(_ n: Int, _ vocabulary: Int) -> [Int] {
        var state: UInt64 = 0x2545F4914F6CDD1D
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(vocabulary))
        }
    }

    func prefill(_ model: MiniMaxModel, _ ids: [Int], _ cache: inout ModelCache) throws {
        _ = try model.prefill(ids, cache: &cache, chunk: prefillChunk)
    }

    /// Greedy decoding of `decodeTokens` tokens from `cache`.
    func decode(_ model: MiniMaxModel, _ cache: inout ModelCache, context: Int) throws -> Report.Decode {
        var token = 1
        var logits = [Float](repeating: 0, count: model.configuration.vocabularySize)
        let cpuStart = cpuSeconds()
        let seconds = try time {
            try logits.withUnsafeMutableBufferPointer { logits in
                for _ in 0..<decodeTokens {
                    try model.decode(token, cache: &cache, logits: logits.baseAddress!)
                    token = logits.indices.max { logits[$0] < logits[$1] } ?? 0
                }
            }
        }
        let cpu = cpuSeconds() - cpuStart
        return .init(context: context, tokens: decodeTokens, seconds: seconds,
                     tokens_per_second: Double(decodeTokens) / seconds,
                     milliseconds_per_token: seconds * 1000 / Double(decodeTokens), cache_bytes: cache.byteCount,
                     cpu_milliseconds_per_token: cpu * 1000 / Double(decodeTokens))
    }

    func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func named(_ seconds: [ForwardProfile.Part: Double]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: seconds.map { ($0.key.rawValue, $0.value) })
    }

    /// User + system CPU seconds of the whole process so far.
    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    func table(_ r: Report) -> String {
        var lines = ["model \(r.model), \(r.threads) threads, precision \(r.precision), \(String(format: "%.1f", Double(r.weight_bytes_per_token) / 1e6)) MB of weights read per decoded token, quantization \(r.quantization)"]
        lines += KernelPath.selected.kernelReport
        if let bw = r.streaming_read_gb_per_s { lines.append(String(format: "streaming read          %8.1f GB/s", bw)) }
        for p in r.prefill {
            lines.append(String(format: "prefill %7d tokens   %8.1f tok/s  (%.3f s)", p.tokens, p.tokens_per_second, p.seconds))
        }
        for d in r.decode {
            lines.append(String(format: "decode after %7d     %8.1f tok/s  (%.2f ms/token, cache %.1f MB)",
                                d.context, d.tokens_per_second, d.milliseconds_per_token, Double(d.cache_bytes) / 1e6))
        }
        for b in r.batched_decode {
            lines.append(String(format: "batched decode x%-4d    %8.1f tok/s  (%.2f ms/step, after %d)",
                                b.sequences, b.tokens_per_second, b.milliseconds_per_step, b.context))
        }
        lines.append(String(format: "decode bandwidth        %8.1f GB/s%@", r.decode_bandwidth_gb_per_s,
                            r.decode_bandwidth_fraction.map { String(format: " (%.0f%% of streaming read)", $0 * 100) } ?? ""))
        var parts = [("prefill", r.prefill_seconds_by_part), ("decode", r.decode_seconds_by_part)]
        if let last = r.batched_decode.last { parts.append(("batched decode x\(last.sequences)", r.batched_decode_seconds_by_part)) }
        for (title, parts) in parts {
            let total = parts.values.reduce(0, +)
            let split = parts.sorted { $0.value > $1.value }
                .map { String(format: "%@ %.0f%%", $0.key, total > 0 ? $0.value / total * 100 : 0) }
            lines.append("\(title) time: " + split.joined(separator: ", "))
            if title == "prefill", let share = r.prefill_tiled_product_share {
                lines.append(String(format: "prefill time in tiled weight products (the matrix kernels, across parts): %.0f%%", share * 100))
            }
        }
        lines.append(String(format: "weights                 %8.1f MB", Double(r.weight_bytes) / 1e6))
        lines.append(String(format: "process peak resident   %8.1f MB  (weights, caches, scratch and the runtime; the bandwidth probe's buffer excluded)", Double(r.peak_resident_bytes) / 1e6))
        return lines.joined(separator: "\n")
    }
}
