import Foundation

/// The highest instruction tier the kernels may use, chosen once per process: the best the CPU
/// has, or the one `MINIMAX_KERNEL` names (`portable`, `avx2`, `avxvnni`, `avx512`, `bf16`, `vnni`,
/// `amx`) so tests and benchmarks can hold every path against its twin. A forced path the CPU lacks is never
/// run: the best available path below it runs instead, and a message says so on standard error.
///
/// What each product runs on a path (`kernelReport` prints it):
/// - dense fp32/bf16 matrix-vector and the tiled fp32 product: portable code (C vector extensions and
///   Swift SIMD, compiled for the build's `-target-cpu`) on every path;
/// - int8/q4 matrix-vector: hand-written AVX-512 from `avx512` up, the portable C kernel below;
/// - `--precision bf16` tiled products: `vdpbf16ps` from `bf16` up when the CPU has AVX512_BF16;
/// - int8-activation products (`QuantizedActivations` × int8/q4 weights): `vpdpbusd` on zmm from
///   `vnni` up when the CPU has AVX-512 with AVX512_VNNI, else `vpdpbusd` on ymm from `avxvnni` up
///   when it has AVX-VNNI (Intel client CPUs without AVX-512), else `vpmaddubsw` from `avx2` up, the
///   portable C twin below;
/// - on `amx` (the CPU has AMX tiles and the OS granted their state), tiled rows of `--precision
///   bf16` products run on `tdpbf16ps` (AMX_BF16), and of int8-activation products on `tdpbssd`
///   (AMX_INT8) when `MINIMAX_AMX_INT8=1` asks (`usesAMXInt8`); single rows (decode) keep the
///   kernels below.
public enum KernelPath: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case portable, avx2, avxvnni, avx512, bf16, vnni, amx

    public static func < (a: KernelPath, b: KernelPath) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .portable: return "portable"
        case .avx2: return "avx2"
        case .avxvnni: return "avxvnni"
        case .avx512: return "avx512"
        case .bf16: return "bf16"
        case .vnni: return "vnni"
        case .amx: return "amx"
        }
    }

    public init?(name: String) {
        guard let path = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = path
    }

    /// Whether `features` can run this path.
    public func isAvailable(on features: CPUFeatures = .detected) -> Bool {
        switch self {
        case .portable: return true
        case .avx2: return features.isSuperset(of: CPUFeatures.avx2FMA)
        case .avxvnni: return features.isSuperset(of: CPUFeatures.avx2FMAVNNI)
        case .avx512: return features.isSuperset(of: CPUFeatures.avx512)
        case .bf16: return features.isSuperset(of: CPUFeatures.avx512.union(.avx512BF16))
        case .vnni: return features.isSuperset(of: CPUFeatures.avx512.union(.avx512VNNI))
        case .amx: return features.contains(.amxTile) && !features.isDisjoint(with: CPUFeatures.amxMultiplies)
        }
    }

    /// The paths this CPU can run, lowest first.
    public static func available(on features: CPUFeatures = .detected) -> [KernelPath] {
        allCases.filter { $0.isAvailable(on: features) }
    }

    /// The path a request resolves to: the request when available, else the best available below it
    /// (with the reason); no request: the best available.
    public static func resolve(
        requested: String?, features: CPUFeatures = .detected
    ) -> (path: KernelPath, note: String?) {
        let best = available(on: features).last ?? .portable
        guard let requested, !requested.isEmpty else { return (best, nil) }
        guard let path = KernelPath(name: requested) else {
            let names = allCases.map(\.description).joined(separator: ", ")
            return (best, "MINIMAX_KERNEL=\(requested) is not a kernel path (\(names)); using \(best)")
        }
        if path.isAvailable(on: features) { return (path, nil) }
        let fallback = available(on: features).last { $0 < path } ?? .portable
        return (fallback, "MINIMAX_KERNEL=\(requested): this CPU lacks it (features: \(features)); using \(fallback)")
    }

    private static let resolved: (path: KernelPath, note: String?) = {
        let resolved = resolve(requested: ProcessInfo.processInfo.environment["MINIMAX_KERNEL"])
        if let note = resolved.note { FileHandle.standardError.write(Data("minimax: \(note)\n".utf8)) }
        return resolved
    }()

    /// The path this process runs (decided on first use).
    public static var selected: KernelPath { resolved.path }

    /// The int8/q4 matrix-vector kernels run their AVX-512 version.
    public var usesAVX512QuantizedKernels: Bool { self >= .avx512 && Self.avx512.isAvailable() }

    /// The int8-activation products run their AVX-512 VNNI kernel (`vpdpbusd` on zmm registers).
    public var usesVNNIKernels: Bool {
        self >= .vnni && CPUFeatures.detected.isSuperset(of: CPUFeatures.avx512.union(.avx512VNNI))
    }

    /// int8-activation products run on the AVX-VNNI kernels (`vpdpbusd` on ymm registers): an
    /// `avxvnni` path or above whose CPU has AVX-VNNI but not the AVX-512 VNNI kernels.
    public var usesAVXVNNIKernels: Bool { self >= .avxvnni && !usesVNNIKernels && Self.avxvnni.isAvailable() }

    /// int8-activation products run on the AVX2 kernels (`vpmaddubsw`): an `avx2` path or above
    /// whose CPU has AVX2 and FMA but neither VNNI kernel.
    public var usesAVX2Int8Kernels: Bool {
        self >= .avx2 && !usesVNNIKernels && !usesAVXVNNIKernels && Self.avx2.isAvailable()
    }

    /// The kernels of int8-activation products (`QuantizedMatVec`), all bit for bit equal.
    public enum Int8ActivationKernel: String, Sendable {
        case vnni, avxvnni, avx2, portable

        /// What runs the integer dots, for reports.
        public var instructions: String {
            switch self {
            case .vnni: return "vpdpbusd (avx512_vnni; from 16 prompt rows each panel of weight rows prepared once)"
            case .avxvnni: return "vpdpbusd ymm (avx_vnni)"
            case .avx2: return "vpmaddubsw (avx2)"
            case .portable: return "portable C"
            }
        }
    }

    /// Which of them this path runs: AVX-512 VNNI where it can, else AVX-VNNI, else AVX2, else the
    /// portable twin.
    public var int8ActivationKernel: Int8ActivationKernel {
        usesVNNIKernels ? .vnni : usesAVXVNNIKernels ? .avxvnni : usesAVX2Int8Kernels ? .avx2 : .portable
    }

    /// `--precision bf16` tiled products run on AMX tiles (`tdpbf16ps`).
    public var usesAMXBFloat16: Bool { self >= .amx && CPUFeatures.detected.isSuperset(of: CPUFeatures.amxTileBF16) }

    /// The CPU has AMX int8 tiles (`tdpbssd`) and the path allows them: tests and `bench-kernels`
    /// run them here whether or not products do.
    public var canUseAMXInt8: Bool { self >= .amx && CPUFeatures.detected.isSuperset(of: CPUFeatures.amxTileInt8) }

    /// `--precision int8` tiled products run on AMX tiles: only where `MINIMAX_AMX_INT8=1` asks.
    /// Under per-block (32) activation scales every block's dots leave the tiles through memory, and
    /// on an Intel Xeon with AMX (2026-11-28, 2 threads) the tiles ran whole-model int8 prefill at
    /// 0.4–0.5× of `vpdpbusd`, so by default those rows run on the bf16 tiles with the weights
    /// dequantized (`MatMul.tiledRowsRunOnBFloat16Kernels`).
    public var usesAMXInt8: Bool { canUseAMXInt8 && Self.amxInt8Requested }

    /// `MINIMAX_AMX_INT8=1`, read once.
    static let amxInt8Requested = ProcessInfo.processInfo.environment["MINIMAX_AMX_INT8"] == "1"

    /// `--precision bf16` products run on `vdpbf16ps`.
    public var usesBFloat16Dot: Bool { self >= .bf16 && Self.bf16.isAvailable() }

    /// Where tiled rows of int8/q4 products run under `--precision bf16` and `int8` (`MatMul`).
    var quantizedTiledKernel: String {
        let bf16Kernel = usesAMXBFloat16 ? "tdpbf16ps (amx_bf16 tiles)" : usesBFloat16Dot ? "vdpbf16ps (avx512_bf16)" : nil
        let allowed = BFloat16DotMatMul.quantizedTiledRows != .never
        let underBF16 = bf16Kernel.map { allowed ? "\($0), weights dequantized to bf16 a block at a time" : "fp32 tiled (MINIMAX_QUANTIZED_TILED_BF16=0)" }
            ?? "fp32 tiled (no bf16 kernel here)"
        let bothOnBF16 = bf16Kernel != nil && allowed && (usesAMXBFloat16 || BFloat16DotMatMul.quantizedTiledRows == .always)
        let underInt8 = usesAMXInt8 ? "tdpbssd (amx_int8 tiles, MINIMAX_AMX_INT8=1)" : bothOnBF16 ? "as under bf16" : "the int8-activation kernels"
        return "bf16: \(underBF16); int8: \(underInt8) (MINIMAX_QUANTIZED_TILED_BF16=0|1 sets it)"
    }

    /// Lines naming the features and, per product, the kernel that runs on this path.
    public var kernelReport: [String] {
        [
            "cpu features: \(CPUFeatures.detected) (\(CPUFeatures.vendor.rawValue))",
            "kernel path: \(self) (available: \(Self.available().map(\.description).joined(separator: ", ")); MINIMAX_KERNEL forces one)",
            "  fp32/bf16 matrix-vector, fp32 tiled: portable (C vector extensions / Swift SIMD)",
            "  int8/q4 matrix-vector: \(usesAVX512QuantizedKernels ? "avx512" : "portable C"); int8/q4 tiled (--precision exact): dequantized into the fp32 tiled kernel",
            "  int8/q4 tiled rows under --precision \(quantizedTiledKernel)",
            "  --precision bf16 tiled: \(usesAMXBFloat16 ? "tdpbf16ps (amx_bf16 tiles, layout \(AMXBFloat16MatMul.Layout.selected.rawValue); MINIMAX_AMX_BF16_LAYOUT sets it)" : usesBFloat16Dot ? "vdpbf16ps (avx512_bf16)" : "portable (bf16-rounded activations, fp32 tiled)")",
            "  int8-activation × int8/q4 products: \(int8ActivationKernel.instructions); decode prefetches weight rows \(QuantizedMatVec.decodePrefetchRows > 0 ? "\(QuantizedMatVec.decodePrefetchRows) ahead" : "not at all") (MINIMAX_Q8ACT_PREFETCH_ROWS sets it)\(usesAMXInt8 ? "; tiled rows: tdpbssd (amx_int8 tiles)" : canUseAMXInt8 ? "; amx_int8 tiles unused (slower here; MINIMAX_AMX_INT8=1 uses them)" : "")",
        ]
    }
}
