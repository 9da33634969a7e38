import ArgumentParser
import Foundation
import Kernels
import Tensors

/// `minimax bench-kernels`: the matrix kernels alone, in GFLOP/s (many tokens) and GB/s (one token).
struct KernelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels", abstract: "Measure matrix-product GFLOP/s and matrix-vector GB/s per weight dtype.")

    @Option(name: .long, parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Products to time as T,K,N triples separated by ';'.")
    var shapes: String = "512,1024,1536;512,1536,1024;2048,2048,2048"

    @Option(name: .long, help: "Weight dtypes to time, comma-separated: float32, bfloat16, int8, int4.")
    var dtypes: String = "float32,bfloat16,int8,int4"

    @Flag(name: .long, help: "Also time the AMX bf16 tile step loading its tiles from per-thread buffers of 32 KB to 256 MB: how fast each memory level feeds the tiles (CPUs with AMX only).")
    var amxLoads = false

    @Flag(name: .long, help: "Also time the AMX bf16 product of each bf16 shape in parts: the activations' packing, then the tiles with the C store, the copy into the output, the weight or activation loads left out in turn; then the whole product in each tile layout (MINIMAX_AMX_BF16_LAYOUT) in alternating rounds (CPUs with AMX only).")
    var amxParts = false

    func validate() throws {
        try checkThreadCount(threads)
        _ = try triples()
        _ = try weightTypes()
    }

    /// `--dtypes` as weight dtypes, in the order given.
    func weightTypes() throws -> [DType] {
        let allowed: [DType] = [.float32, .bfloat16, .int8, .int4]
        return try dtypes.split(separator: ",", omittingEmptySubsequences: false).map { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let dtype = allowed.first(where: { $0.rawValue == trimmed }) else {
                throw ValidationError("--dtypes: '\(trimmed)' is not one of \(allowed.map(\.rawValue).joined(separator: ", "))")
            }
            return dtype
        }
    }

    /// `--shapes` as [T, K, N] triples of positive sizes.
    func triples() throws -> [[Int]] {
        try shapes.split(separator: ";").map { triple -> [Int] in
            let values = triple.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == 3, values.allSatisfy({ $0 > 0 }) else { throw ValidationError("--shapes: '\(triple)' is not T,K,N") }
            return values
        }
    }

    func run() throws {
        if let threads { Parallel.threadCount = threads }
        let triples = try triples(), weightTypes = try weightTypes()
        print("threads \(Parallel.threadCount)")
        for line in KernelPath.selected.kernelReport { print(line) }
        let amxPeaks = benchAMXPeaks(), vectorPeaks = benchVectorPeaks()
        if amxLoads { benchAMXLoads(peak: amxPeaks.bf16) }
        for dtype in weightTypes {
            for shape in triples {
                let (t, k, n) = (shape[0], shape[1], shape[2])
                let x = Matrix(rows: t, cols: k, data: (0..<(t * k)).map { Float($0 % 7) * 0.1 })
                let w = TensorView.owned((0..<(n * k)).map { Float($0 % 5) * 0.01 }, shape: [n, k], dtype: dtype)
                _ = MatMul.multiply(x, w)
                // Quantized weights are dequantized into the fp32 tiled kernel: timed for completeness.
                let seconds = best { _ = MatMul.multiply(x, w) }
                let rate = 2.0 * Double(t * k * n) / seconds / 1e9
                print(String(format: "%@ matmul T=%d K=%d N=%d: %.1f GFLOP/s%@", dtype.rawValue, t, k, n, rate, share(rate, of: vectorPeaks.fma, "vfmadd231ps")))
                if dtype == .bfloat16 {
                    benchBFloat16Dot(x, w, amxPeak: amxPeaks.bf16, vectorPeak: vectorPeaks.bf16)
                    if amxParts { benchAMXParts(x, w, peak: amxPeaks.bf16) }
                }
                if dtype.isQuantized {
                    benchBFloat16Dot(x, w, amxPeak: amxPeaks.bf16, vectorPeak: vectorPeaks.bf16)
                    benchInt8Activations(x, w, shape: "matmul T=\(t) K=\(k) N=\(n)", vnniPeak: vectorPeaks.vnni)
                    benchAMXInt8(x, w, peak: amxPeaks.int8)
                }
            }
            let k = 4096, n = 8192
            let w = TensorView.owned((0..<(n * k)).map { Float($0 % 7) * 0.01 }, shape: [n, k], dtype: dtype)
            let x = Matrix(rows: 1, cols: k, data: [Float](repeating: 1, count: k))
            _ = MatMul.multiply(x, w)
            let seconds = best { _ = MatMul.multiply(x, w) }
            print(String(format: "%@ matvec K=%d N=%d: %.1f GB/s of weights (scales included)", dtype.rawValue, k, n, Double(w.byteCount) / seconds / 1e9))
            if dtype.isQuantized { benchInt8Activations(x, w, shape: "matvec K=\(k) N=\(n)") }
        }
    }

    /// The AMX tiles' peak rates, from register-only loops on every thread at once: GFLOP/s of
    /// `tdpbf16ps` and GOP/s of `tdpbssd` (nil, with a line saying so, where the tiles are absent).
    struct AMXPeaks {
        var bf16: Double?
        var int8: Double?
    }

    func benchAMXPeaks() -> AMXPeaks {
        AMXPeaks(
            bf16: peakRate("amx bf16 tile", unit: "GFLOP", available: AMXBFloat16MatMul.isAvailable, missing: "no AMX bf16 tiles here",
                           operations: AMXBFloat16MatMul.peakLoopFlopsPerIteration, iterations: 200_000) {
                AMXBFloat16MatMul.runPeakLoop(iterations: $0)
            },
            int8: peakRate("amx int8 tile", unit: "GOP", available: AMXQuantizedProduct.isAvailable, missing: "no AMX int8 tiles here",
                           operations: AMXQuantizedProduct.peakLoopOperationsPerIteration, iterations: 200_000) {
                AMXQuantizedProduct.runPeakLoop(iterations: $0)
            })
    }

    /// The AVX-512 instructions' peak rates the vector kernels run on (`minimax_vector_peak_loop`):
    /// `vfmadd231ps` (fp32 tiled products), `vdpbf16ps` (`--precision bf16` without AMX) and
    /// `vpdpbusd` (int8 activations); nil, with a line saying so, where the CPU lacks one.
    struct VectorPeaks {
        var fma: Double?
        var bf16: Double?
        var vnni: Double?
    }

    func benchVectorPeaks() -> VectorPeaks {
        func peak(_ loop: VectorPeak) -> Double? {
            peakRate(loop.instruction, unit: loop.unit, available: loop.isAvailable, missing: "this CPU lacks it on AVX-512",
                     operations: loop.operationsPerIteration, iterations: 20_000_000) {
                loop.run(iterations: $0)
            }
        }
        return VectorPeaks(fma: peak(.fma), bf16: peak(.bf16Dot), vnni: peak(.int8Dot))
    }

    /// `loop(iterations)` on every thread at once, best of `best`: G`unit`/s for `operations` an
    /// iteration, printed as "`name` peak"; nil (printing why) where not `available`.
    func peakRate(
        _ name: String, unit: String, available: Bool, missing: String, operations: Int, iterations: Int,
        _ loop: @escaping (Int) -> Void
    ) -> Double? {
        guard available else {
            print("\(name) peak: skipped, \(missing) (cpu features: \(CPUFeatures.detected); kernel path \(KernelPath.selected))")
            return nil
        }
        let threads = Parallel.threadCount
        let run = { onEveryThread { _ in loop(iterations) } }
        run()
        let rate = Double(threads * iterations * operations) / best(run) / 1e9
        print(String(format: "%@ peak (register-only loop, %d threads): %.1f %@/s", name, threads, rate, unit))
        return rate
    }

    /// body(thread) on each of the `Parallel.threadCount` threads at once.
    func onEveryThread(_ body: (Int) -> Void) {
        Parallel.forEachRange(Parallel.threadCount, grain: 1) { range in
            for thread in range { body(thread) }
        }
    }

    /// The products' 2 × 2 tile step with its tiles loaded from a buffer per thread of each size,
    /// A tiles contiguous (64-byte rows) or as rows of a K = 1024 bf16 weight (2048 bytes apart),
    /// loads all first or each before its first use: GFLOP/s on every thread at once.
    func benchAMXLoads(peak: Double?) {
        guard AMXBFloat16MatMul.isAvailable, let peak else {
            print("amx bf16 tile loads: skipped, no AMX bf16 tiles here")
            return
        }
        let threads = Parallel.threadCount, iterations = 200_000
        let sizes = [32 << 10, 512 << 10, 8 << 20, 256 << 20]
        let buffers = (0..<threads).map { _ in UnsafeMutableRawPointer.allocate(byteCount: sizes.last!, alignment: 4096) }
        defer { buffers.forEach { $0.deallocate() } }
        for buffer in buffers { buffer.initializeMemory(as: UInt8.self, repeating: 0, count: sizes.last!) }
        for bytes in sizes {
            for stride in [64, 2048] where bytes >= 64 * stride + 4096 {
                for interleaved in [false, true] {
                    let run = {
                        onEveryThread { AMXBFloat16MatMul.runLoadLoop(buffers[$0], bytes: bytes, aStride: stride, interleaved: interleaved, iterations: iterations) }
                    }
                    run()
                    let rate = Double(threads * iterations * AMXBFloat16MatMul.peakLoopFlopsPerIteration) / best(run) / 1e9
                    print(String(format: "amx bf16 tile step, loads from %@ per thread, A rows %d B apart, %@: %.1f GFLOP/s (%.0f %% of the peak)",
                                 bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes >> 10) KB", stride,
                                 interleaved ? "each load before its first use" : "four loads first", rate, 100 * rate / peak))
                }
            }
        }
    }

    /// The product with activations rounded to bf16 (`BFloat16DotMatMul`: AMX tiles or
    /// `vdpbf16ps`; int8/q4 weights dequantized to bf16 a block at a time, as prompt rows run under
    /// `--precision bf16` and `int8`) on the same shape; with AMX, also as a share of the tiles' peak.
    func benchBFloat16Dot(_ x: Matrix, _ w: TensorView, amxPeak: Double?, vectorPeak: Double?) {
        let (t, k, n) = (x.rows, x.cols, w.shape[0])
        let kernel = (AMXBFloat16MatMul.isAvailable ? "tdpbf16ps amx" : "vdpbf16ps") + (w.dtype.isQuantized ? ", weights dequantized" : "")
        let label = String(format: "%@ (bf16 activations, %@) matmul T=%d K=%d N=%d", w.dtype.rawValue, kernel, t, k, n)
        guard BFloat16DotMatMul.isAvailable || AMXBFloat16MatMul.isAvailable else {
            print("\(label): skipped, this CPU has no AVX512_BF16")
            return
        }
        let seconds = bestProduct(x, outputs: n) { BFloat16DotMatMul.multiply($0, rows: t, weight: w, into: $1) }
        let rate = 2.0 * Double(t * k * n) / seconds / 1e9
        let peakShare = AMXBFloat16MatMul.isAvailable ? share(rate, of: amxPeak, "amx") : share(rate, of: vectorPeak, "vdpbf16ps")
        print(String(format: "%@: %.1f GFLOP/s%@", label, rate, peakShare))
    }

    /// The AMX bf16 product in parts (`AMXProductProbe`): the packing of the activations alone, then
    /// the tile work on activations packed once, whole and with parts left out, as GFLOP/s of the
    /// whole product's flops and a share of the tiles' peak.
    func benchAMXParts(_ x: Matrix, _ w: TensorView, peak: Double?) {
        let (t, k, n) = (x.rows, x.cols, w.shape[0])
        guard AMXBFloat16MatMul.isAvailable, let peak else {
            print("amx bf16 product parts T=\(t) K=\(k) N=\(n): skipped, no AMX bf16 tiles here")
            return
        }
        var out = [Float](repeating: 0, count: t * n)
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                let run = AMXProductProbeRun(x: xp.baseAddress!, rows: t, k: k, tiles: .hardware)
                print(String(format: "amx bf16 product parts T=%d K=%d N=%d: activations packed in %.3f ms", t, k, n,
                             1e3 * best { run.pack() }))
                for probe in AMXProductProbe.allCases {
                    run.multiply(probe, weight: w, into: op.baseAddress!)
                    let rate = 2.0 * Double(t * k * n) / best { run.multiply(probe, weight: w, into: op.baseAddress!) } / 1e9
                    print(String(format: "  %@: %.1f GFLOP/s (%.0f %% of the amx peak)", probe.summary, rate, 100 * rate / peak))
                }
                // The whole product (activations laid out inside) in each layout, in alternating rounds.
                let layouts = AMXBFloat16MatMul.Layout.allCases, rounds = 7
                var seconds = [[Double]](repeating: [], count: layouts.count)
                for _ in 0..<rounds {
                    for (i, layout) in layouts.enumerated() {
                        let (xBase, outBase) = (xp.baseAddress!, op.baseAddress!)
                        let product = { AMXBFloat16MatMul.multiply(xBase, rows: t, weight: w, into: outBase, layout: layout) }
                        product()
                        seconds[i].append(best(product))
                    }
                }
                for (i, layout) in layouts.enumerated() {
                    let median = seconds[i].sorted()[rounds / 2], ratio = seconds[0].sorted()[rounds / 2] / median
                    let rate = 2.0 * Double(t * k * n) / median / 1e9
                    print(String(format: "  whole product, layout %@: median %.1f GFLOP/s (%.0f %% of the amx peak), %.2fx %@ (%d alternating rounds)",
                                 layout.rawValue, rate, 100 * rate / peak, ratio, layouts[0].rawValue, rounds))
                }
            }
        }
    }

    /// The product with activations quantized to int8 per block of 32 (`QuantizedActivations`,
    /// quantized inside the timed call) on the same shape, rows split across the threads: GB/s of
    /// weights for one token, GFLOP/s (two per multiply-add) for many.
    func benchInt8Activations(_ x: Matrix, _ w: TensorView, shape: String, vnniPeak: Double? = nil) {
        let (t, k, n) = (x.rows, x.cols, w.shape[0])
        let path = KernelPath.selected, kernel = path.int8ActivationKernel.rawValue
        let activations = QuantizedActivations(reservingRows: t, k: k)
        let seconds = bestProduct(x, outputs: n) { x, out in
            activations.quantize(x, rows: t, k: k, layout: .init(for: w.dtype))
            Parallel.forEachRange(n, grain: 16) { range in
                QuantizedMatVec.multiply(activations, weight: w, outputs: range, into: out, path: path)
            }
        }
        let label = "\(w.dtype.rawValue) × int8 activations (\(kernel)) \(shape)"
        if t == 1 {
            print(String(format: "%@: %.1f GB/s of weights (scales included)", label, Double(w.byteCount) / seconds / 1e9))
        } else {
            let rate = 2.0 * Double(t * k * n) / seconds / 1e9
            print(String(format: "%@: %.1f GFLOP/s%@", label, rate, path.int8ActivationKernel == .vnni ? share(rate, of: vnniPeak, "vpdpbusd") : ""))
        }
    }

    /// " (P % of the `name` peak)", or nothing without a peak.
    func share(_ rate: Double, of peak: Double?, _ name: String) -> String {
        peak.map { String(format: " (%.0f %% of the %@ peak)", 100 * rate / $0, name) } ?? ""
    }

    /// The tiled int8-activation product on AMX tiles (`AMXQuantizedProduct`, quantizing inside the
    /// timed call), as a share of the `tdpbssd` peak. Only where the tiles exist.
    func benchAMXInt8(_ x: Matrix, _ w: TensorView, peak: Double?) {
        guard let peak else { return }
        let (t, k, n) = (x.rows, x.cols, w.shape[0])
        let seconds = bestProduct(x, outputs: n) { AMXQuantizedProduct.multiply($0, rows: t, weight: w, into: $1) }
        let rate = 2.0 * Double(t * k * n) / seconds / 1e9
        print(String(format: "%@ × int8 activations (tdpbssd amx) matmul T=%d K=%d N=%d: %.1f GOP/s (%.0f %% of the amx peak)",
                     w.dtype.rawValue, t, k, n, rate, 100 * rate / peak))
    }

    /// Best of `best` for `product(x, out)` writing x.rows × outputs values (one untimed run first).
    func bestProduct(_ x: Matrix, outputs: Int, _ product: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Double {
        var out = [Float](repeating: 0, count: x.rows * outputs)
        return x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                let (xBase, outBase) = (xp.baseAddress!, op.baseAddress!)
                product(xBase, outBase)
                return best { product(xBase, outBase) }
            }
        }
    }

    func best(_ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}
