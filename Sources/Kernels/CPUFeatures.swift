import CKernels

/// The instruction-set features of the CPU this process runs on, detected once
/// (`minimax_cpu_features`: cpuid, XGETBV for the OS's register support, and for AMX the kernel's
/// permission to use the tile state — refused or absent means no AMX).
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let avx2 = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AVX512F))
    public static let avx512bw = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AVX512BW))
    public static let avx512vl = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AVX512VL))
    public static let avx512BF16 = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AVX512_BF16))
    public static let avx512VNNI = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AVX512_VNNI))
    public static let avxVNNI = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AVX_VNNI))
    public static let amxTile = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AMX_TILE))
    public static let amxBF16 = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AMX_BF16))
    public static let amxInt8 = CPUFeatures(rawValue: UInt32(MINIMAX_CPU_AMX_INT8))

    /// The AVX-512 subsets every AVX-512 kernel here needs.
    public static let avx512: CPUFeatures = [.avx512f, .avx512bw, .avx512vl]
    // The sets the kernel paths check, as constants: an array literal of options in a check would
    // build an array on every call in a debug build (and decode must not allocate).
    static let avx2FMA: CPUFeatures = [.avx2, .fma]
    static let avx2FMAVNNI: CPUFeatures = [.avx2, .fma, .avxVNNI]
    static let amxMultiplies: CPUFeatures = [.amxBF16, .amxInt8]
    static let amxTileBF16: CPUFeatures = [.amxTile, .amxBF16]
    static let amxTileInt8: CPUFeatures = [.amxTile, .amxInt8]

    /// Names in /proc/cpuinfo's spelling, in this order.
    static let names: [(CPUFeatures, String)] = [
        (.avx2, "avx2"), (.fma, "fma"), (.avx512f, "avx512f"), (.avx512bw, "avx512bw"), (.avx512vl, "avx512vl"),
        (.avx512BF16, "avx512_bf16"), (.avx512VNNI, "avx512_vnni"), (.avxVNNI, "avx_vnni"), (.amxTile, "amx_tile"),
        (.amxBF16, "amx_bf16"), (.amxInt8, "amx_int8"),
    ]

    /// The features this CPU and OS offer (detected on first use).
    public static let detected = CPUFeatures(rawValue: minimax_cpu_features())

    /// Who made the CPU (cpuid): for tuning choices measured per maker, never for correctness.
    public enum Vendor: String, Sendable { case intel, amd, other }

    /// This CPU's maker.
    public static let vendor: Vendor = {
        switch Int(minimax_cpu_vendor()) {
        case Int(MINIMAX_CPU_VENDOR_INTEL): return .intel
        case Int(MINIMAX_CPU_VENDOR_AMD): return .amd
        default: return .other
        }
    }()

    /// "avx2 fma avx512f …", or "none" (a CPU without any of them, or not x86-64).
    public var description: String {
        let present = Self.names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none" : present.joined(separator: " ")
    }
}
