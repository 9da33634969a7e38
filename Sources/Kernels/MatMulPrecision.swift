import Tensors

/// How a matrix product with bf16 or quantized weights treats its fp32 activations (fp32 weights
/// always see exact ones), and so (`forAttention`) how the attention products beside them do.
public enum MatMulPrecision: String, Sendable, CaseIterable {
    /// Activations stay fp32 and the weights are widened: the fp32 reference's result to ~1e-6.
    /// The default everywhere.
    case exact
    /// Activations rounded to bf16 (nearest, ties to even) and multiplied on the CPU's bf16
    /// dot-product instructions (`vdpbf16ps`) with fp32 sums — the arithmetic PyTorch and llama.cpp
    /// use for bf16 models. About twice the arithmetic rate in prefill; logits move by ~5e-3
    /// relative (4.8e-3 and 6.4e-3 on the bf16 parity checkpoints). fp32 weights are unaffected.
    /// int8 / q4 weights: tiled (prompt) rows on the same bf16 kernels, the weights dequantized and
    /// rounded to bf16 a block at a time, where the CPU has them (AMX, `vdpbf16ps`); single
    /// (decode) rows, and tiled rows elsewhere, meet fp32 activations as under `exact`.
    case bfloat16 = "bf16"
    /// For models with int8 / q4 weights (`minimax quantize`): activations quantized to int8 per
    /// block of 32 (a scale max|x|/127 each) and multiplied with exact integer dot products
    /// (`vpdpbusd` on AVX512-VNNI, a portable twin elsewhere), llama.cpp's Q8 activation scheme —
    /// every row except tiled (prompt) rows on CPUs with AMX bf16 tiles, which run as under
    /// `bfloat16` (faster there: `MatMul.tiledRowsRunOnBFloat16Kernels`;
    /// `MINIMAX_QUANTIZED_TILED_BF16=0|1` sets it).
    /// Products with bf16 weights as under `bfloat16`. Under `exact` quantized weights meet fp32
    /// activations, dequantized in registers.
    case int8

    /// Whether products with bf16 weights round the activations to bf16.
    public var roundsBFloat16Activations: Bool { self != .exact }

    /// The precision of an attention layer's own products (scores, probabilities × values, the
    /// lightning state's), which have no weights, beside projections with `dtype` weights: both
    /// operands rounded to bf16 (`.bfloat16`) when this precision rounds activations and those
    /// weights are not fp32 — fp32 models stay exact under every precision, as their products do.
    public func forAttention(besideWeightsOf dtype: DType) -> MatMulPrecision {
        roundsBFloat16Activations && dtype != .float32 ? .bfloat16 : .exact
    }
}
