import CKernels
import Foundation
import Tensors

/// The products of int8-quantized activations (`QuantizedActivations`) with int8 and q4 weights:
/// exact integer dot products per block of 32, combined in fp32 in an order fixed by k and the
/// group size (CKernels.h, `minimax_q8act_matvec_rows_*`). Four versions, bit for bit equal: the
/// VNNI kernel (`vpdpbusd`, `KernelPath.usesVNNIKernels`), the AVX-VNNI one (`vpdpbusd` on ymm,
/// `usesAVXVNNIKernels`), the AVX2 one (`vpmaddubsw` + `vpmaddwd`, `usesAVX2Int8Kernels`) and their
/// portable C twin; the Swift reference is
/// `NaiveKernels.matmulQuantizedActivations`.
extension QuantizedMatVec {
    /// How many weight rows ahead decode prefetches (`minimax_q8act_set_prefetch_rows`): 8 on Intel
    /// CPUs with AVX-512 (Xeons), none elsewhere; `MINIMAX_Q8ACT_PREFETCH_ROWS=D` sets it. Measured
    /// with bench-small's int8-all / q4-all at 2 threads, three alternating rounds each: on an Intel
    /// Xeon with AMX 8 rows ahead decoded 1.12–1.67× (int8) and 1.05–1.58× (q4) as fast as none; on
    /// AMD Zen 4 0.74–0.86× and 0.86–0.95× (its prefetchers already keep up).
    public static let decodePrefetchRows: Int = {
        if let rows = ProcessInfo.processInfo.environment["MINIMAX_Q8ACT_PREFETCH_ROWS"].flatMap(Int.init) {
            return max(0, rows)
        }
        return CPUFeatures.vendor == .intel && CPUFeatures.detected.isSuperset(of: CPUFeatures.avx512) ? 8 : 0
    }()

    /// Applies `decodePrefetchRows` once, before the first product.
    static let decodePrefetch: Void = { minimax_q8act_set_prefetch_rows(decodePrefetchRows) }()

    /// More activation rows than one block of the int8-activation kernels: the VNNI kernel then goes
    /// through `minimax_q8act_panel_*_vnni`, which from 16 rows on prepares each panel of weight rows
    /// once (the same bits) instead of once per block of eight activation rows. Decode (one block)
    /// takes no scratch.
    static let promptRows = 8

    /// The calling thread's scratch for one prepared panel of weight rows (allocated once per
    /// thread and size, like all `ScratchMemory`).
    private static func withPanelScratch(k: Int, q4: Int32, _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        ScratchMemory.withBuffer(of: UInt8.self, count: minimax_q8act_vnni_panel_scratch_bytes(k, q4), body)
    }

    /// out[t · outStride + r] for t < activations.rows and r in `outputs` (weight rows), from the
    /// activations and W [N, K] (`int8` or `int4`, the activations' layout made for its dtype).
    /// Allocation-free; `outputs` lets callers split the rows across threads.
    public static func multiply(
        _ activations: QuantizedActivations, weight: TensorView, outputs: Range<Int>? = nil,
        into out: UnsafeMutablePointer<Float>, outStride: Int? = nil, path: KernelPath = .selected
    ) {
        precondition(weight.shape.count == 2 && weight.dtype.isQuantized, "QuantizedMatVec: 2-D int8/int4 weight, got \(weight.dtype) \(weight.shape)")
        _ = decodePrefetch
        let n = weight.shape[0], k = weight.shape[1], range = outputs ?? 0..<n
        precondition(activations.k == k, "QuantizedMatVec: activations of \(activations.k), weight rows of \(k)")
        precondition(activations.layout == QuantizedActivations.Layout(for: weight.dtype), "QuantizedMatVec: activations laid out for \(activations.layout), weight \(weight.dtype)")
        precondition(range.lowerBound >= 0 && range.upperBound <= n, "QuantizedMatVec: outputs \(range) of \(n)")
        precondition(path.isAvailable(), "QuantizedMatVec: this CPU cannot run the \(path) path")
        guard !range.isEmpty, activations.rows > 0 else { return }
        let q = weight.quantization!, groups = q.groups(k: k), first = range.lowerBound
        let act = UnsafePointer(activations.base.assumingMemoryBound(to: UInt8.self))
        let scales = q.scales + first * groups, kernel = path.int8ActivationKernel
        let codes = weight.base + first * weight.dtype.rowBytes(k), o = out + first, stride = outStride ?? n
        if weight.dtype == .int8 {
            let c = codes.assumingMemoryBound(to: Int8.self)
            switch kernel {
            case .vnni where activations.rows > promptRows:
                withPanelScratch(k: k, q4: 0) { minimax_q8act_panel_int8_vnni(act, activations.rows, k, c, scales, q.groupSize, range.count, o, stride, $0) }
            case .vnni: minimax_q8act_matvec_rows_int8_vnni(act, activations.rows, k, c, scales, q.groupSize, range.count, o, stride)
            case .avxvnni: minimax_q8act_matvec_rows_int8_avxvnni(act, activations.rows, k, c, scales, q.groupSize, range.count, o, stride)
            case .avx2: minimax_q8act_matvec_rows_int8_avx2(act, activations.rows, k, c, scales, q.groupSize, range.count, o, stride)
            case .portable: minimax_q8act_matvec_rows_int8_portable(act, activations.rows, k, c, scales, q.groupSize, range.count, o, stride)
            }
        } else {
            let c = codes.assumingMemoryBound(to: UInt8.self), minimums = q.minimums! + first * groups
            switch kernel {
            case .vnni where activations.rows > promptRows:
                withPanelScratch(k: k, q4: 1) {
                    minimax_q8act_panel_q4_vnni(act, activations.rows, k, c, scales, minimums, q.groupSize, range.count, o, stride, $0)
                }
            case .vnni:
                minimax_q8act_matvec_rows_q4_vnni(act, activations.rows, k, c, scales, minimums, q.groupSize, range.count, o, stride)
            case .avxvnni:
                minimax_q8act_matvec_rows_q4_avxvnni(act, activations.rows, k, c, scales, minimums, q.groupSize, range.count, o, stride)
            case .avx2:
                minimax_q8act_matvec_rows_q4_avx2(act, activations.rows, k, c, scales, minimums, q.groupSize, range.count, o, stride)
            case .portable:
                minimax_q8act_matvec_rows_q4_portable(act, activations.rows, k, c, scales, minimums, q.groupSize, range.count, o, stride)
            }
        }
    }
}
