/// How a matrix product with bf16 weights treats its fp32 activations.
public enum MatMulPrecision: String, Sendable, CaseIterable {
    /// Activations stay fp32 and the weights are widened: the fp32 reference's result to ~1e-6.
    /// The default everywhere.
    case exact
    /// Activations rounded to bf16 (nearest, ties to even) and multiplied on the CPU's bf16
    /// dot-product instructions (`vdpbf16ps`) with fp32 sums — the arithmetic PyTorch and llama.cpp
    /// use for bf16 models. About twice the arithmetic rate in prefill; logits move by ~5e-3
    /// relative (4.8e-3 and 6.4e-3 on the bf16 parity checkpoints). fp32 weights are unaffected.
    case bfloat16 = "bf16"
}
