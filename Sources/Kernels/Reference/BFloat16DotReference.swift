import Tensors

extension BFloat16DotMatMul {
    /// Plain-loop twin of `multiply`: out[t, n] = Σ_k bf16(x[t, k]) · W[n, k], summed in Double.
    /// (The instructions also flush denormal inputs to zero; this does not — it matters only for
    /// values below 1.2e-38.) x: [T, K]; weight: [N, K] bf16; out: [T, N].
    public static func multiplyReference(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>
    ) {
        precondition(weight.shape.count == 2 && weight.dtype == .bfloat16, "multiplyReference: bf16 [N, K] weight")
        let n = weight.shape[0], k = weight.shape[1]
        for t in 0..<rows {
            for j in 0..<n {
                var sum = 0.0
                for i in 0..<k { sum += Double(roundToBFloat16(x[t * k + i])) * Double(weight.element(j * k + i)) }
                out[t * n + j] = Float(sum)
            }
        }
    }
}
