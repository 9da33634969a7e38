import Tensors

/// The twin of the int8-activation products, from their definition: quantize each block of 32
/// activations (d = max|x| / 127, a = roundeven(x / d) clamped to ±127, Σx in the kernels' fp32
/// order), decode both sides and sum in Double:
///   out[t, r] = Σ_blocks b [ Σ_{i∈b} (a_i · d_b) · (q_i · s_g) + m_g · Σx_b ]   (m = 0 for int8).
extension NaiveKernels {
    /// One row's blocks in natural order: codes [k], scales and sums [⌈k / 32⌉].
    public struct QuantizedActivationRow: Equatable {
        public var codes: [Int8]
        public var scales: [Float]
        public var sums: [Float]

        public init(codes: [Int8], scales: [Float], sums: [Float]) {
            (self.codes, self.scales, self.sums) = (codes, scales, sums)
        }
    }

    public static func quantizeActivations(_ x: ArraySlice<Float>) -> QuantizedActivationRow {
        let k = x.count, blocks = (k + 31) / 32
        var row = QuantizedActivationRow(codes: [], scales: [], sums: [])
        for b in 0..<blocks {
            var v = [Float](repeating: 0, count: 32)
            for j in 0..<min(32, k - 32 * b) { v[j] = x[x.startIndex + 32 * b + j] }
            let d = v.map(abs).max()! / 127
            row.scales.append(d)
            row.sums.append(blockSum(v))
            for j in 0..<min(32, k - 32 * b) {
                row.codes.append(d == 0 ? 0 : Int8(min(127, max(-127, (v[j] / d).rounded(.toNearestOrEven)))))
            }
        }
        return row
    }

    /// Σ of 32 values in the kernels' order: v[j] + v[j + 16], then halving 8, 4, 2 + 1.
    static func blockSum(_ v: [Float]) -> Float {
        let s = (0..<16).map { v[$0] + v[$0 + 16] }
        let a = (0..<8).map { s[$0] + s[$0 + 8] }
        let b = (0..<4).map { a[$0] + a[$0 + 4] }
        return (b[0] + b[2]) + (b[1] + b[3])
    }

    /// out[T, N] from x [T, K] quantized per block and W [N, K] (`int8` or `int4`).
    public static func matmulQuantizedActivations(_ x: [Float], rows: Int, weight: TensorView) -> [Float] {
        let n = weight.shape[0], k = weight.shape[1], q = weight.quantization!, groups = q.groups(k: k)
        var out = [Float](repeating: 0, count: rows * n)
        for t in 0..<rows {
            let a = quantizeActivations(x[(t * k)..<((t + 1) * k)])
            for r in 0..<n {
                var sum = 0.0
                for b in 0..<a.scales.count {
                    var products = 0.0
                    for i in (32 * b)..<min(k, 32 * b + 32) {
                        let g = r * groups + i / q.groupSize
                        let scale = Double(HalfPrecision.float(fromBFloat16: q.scales[g]))
                        products += Double(a.codes[i]) * Double(a.scales[b]) * Double(code(weight, row: r, element: i)) * scale
                    }
                    if let minimums = q.minimums {
                        let g = r * groups + (32 * b) / q.groupSize
                        products += Double(HalfPrecision.float(fromBFloat16: minimums[g])) * Double(a.sums[b])
                    }
                    sum += products
                }
                out[t * n + r] = Float(sum)
            }
        }
        return out
    }

    /// The integer code of W[r, i] (int8: −127…127; int4: 0…15).
    static func code(_ w: TensorView, row r: Int, element i: Int) -> Int {
        let k = w.shape[1]
        if w.dtype == .int8 { return Int(w.base.load(fromByteOffset: r * k + i, as: Int8.self)) }
        let (byte, high) = WeightQuantization.int4Position(i, k: k)
        let value = w.base.load(fromByteOffset: r * w.dtype.rowBytes(k) + byte, as: UInt8.self)
        return Int(high ? value >> 4 : value & 15)
    }
}
