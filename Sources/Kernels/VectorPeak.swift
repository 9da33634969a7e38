import CKernels

/// Register-only loops at the AVX-512 instructions' peak rates (`minimax_vector_peak_loop`): the
/// reference `minimax bench-kernels` gives the vector kernels' shares against, as
/// `AMXBFloat16MatMul.runPeakLoop` is for the tiles.
public enum VectorPeak {
    /// `vfmadd231ps` (the fp32 tiled products), GFLOP.
    case fma
    /// `vdpbf16ps` (`--precision bf16` without AMX), GFLOP.
    case bf16Dot
    /// `vpdpbusd` (the int8-activation products), integer GOP.
    case int8Dot

    public var instruction: String {
        switch self {
        case .fma: "vfmadd231ps"
        case .bf16Dot: "vdpbf16ps"
        case .int8Dot: "vpdpbusd"
        }
    }

    /// "GFLOP" or "GOP".
    public var unit: String { self == .int8Dot ? "GOP" : "GFLOP" }

    var kind: Int32 {
        switch self {
        case .fma: Int32(MINIMAX_PEAK_FMA)
        case .bf16Dot: Int32(MINIMAX_PEAK_VDPBF16PS)
        case .int8Dot: Int32(MINIMAX_PEAK_VPDPBUSD)
        }
    }

    /// Whether this CPU has the instruction on zmm registers (AVX512F/BW/VL, and BF16 or VNNI).
    public var isAvailable: Bool {
        let features = CPUFeatures.detected
        switch self {
        case .fma: return features.isSuperset(of: CPUFeatures.avx512)
        case .bf16Dot: return features.isSuperset(of: CPUFeatures.avx512.union(.avx512BF16))
        case .int8Dot: return features.isSuperset(of: CPUFeatures.avx512.union(.avx512VNNI))
        }
    }

    /// Operations (a multiply-add counts two) of one iteration of `run`.
    public var operationsPerIteration: Int { minimax_vector_peak_operations(kind) }

    /// `iterations` × twelve independent instructions on the calling thread. Only where available.
    public func run(iterations: Int) {
        precondition(isAvailable, "\(instruction) is not available here (\(CPUFeatures.detected))")
        _ = minimax_vector_peak_loop(kind, iterations)
    }
}
