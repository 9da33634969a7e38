#ifndef MINIMAX_CKERNELS_H
#define MINIMAX_CKERNELS_H

#include <stdint.h>
#include "spin.h"
#include "prefetch.h"

/// Kernels that Swift's SIMD types cannot express efficiently (zero-extending sixteen 16-bit
/// lanes to 32 bits compiles to a generic call in Swift). Written with clang vector extensions,
/// so they are portable C that the compiler maps onto the target's vector units. Each has a
/// Swift twin in the Kernels module and a test holding them equal.

/// dst[i] = src[i] widened from bf16 to fp32, i < count.
void minimax_widen_bf16(const uint16_t *src, float *dst, long count);
/// dst[i] = src[i] rounded to bf16 (nearest, ties to even; a NaN stays a quiet NaN), i < count —
/// `HalfPrecision.bfloat16Bits(from:)` of each, vectorized by the compiler.
void minimax_narrow_bf16(const float *src, uint16_t *dst, long count);

#endif

#ifndef MINIMAX_CKERNELS_MATVEC
#define MINIMAX_CKERNELS_MATVEC
/// out[r] = Σ_i x[i] · w[r·k + i] for r < rows (one token through `rows` weight rows). Each row
/// streams through memory in order into four accumulators, summed once per row with a shuffle tree;
/// short rows (k ≤ 128, a multiple of 16: attention scores, lightning state) go sixteen at a time
/// with one transposing reduction for all sixteen.
void minimax_matvec_f32(const float *x, const float *w, long k, long rows, float *out);

/// The same with w stored as bf16.
void minimax_matvec_bf16(const float *x, const uint16_t *w, long k, long rows, float *out);

/// Several activation rows: out[t·out_stride + r] = Σ_i x[t·x_stride + i] · w[r·k + i] for t < x_rows,
/// r < rows, each output bit for bit what `minimax_matvec_*` gives for that row alone (the order of
/// every sum depends on k only). Long weight rows are read once per four activation rows.
void minimax_matvec_rows_f32(
    const float *x, long x_rows, long x_stride, const float *w, long k, long rows, float *out, long out_stride);
void minimax_matvec_rows_bf16(
    const float *x, long x_rows, long x_stride, const uint16_t *w, long k, long rows, float *out, long out_stride);

/// Σ p[i] for i < count, streaming through memory with four vector accumulators (the memory read
/// pattern of the matrix-vector kernels, without their arithmetic: `minimax bench`'s ceiling).
float minimax_stream_sum(const float *p, long count);
#endif

#ifndef MINIMAX_CKERNELS_PACK
#define MINIMAX_CKERNELS_PACK
/// A weight panel for the tiled fp32 kernel: panel[kk·32 + j] = w[j·k + first + kk] as fp32 for
/// kk < depth, j < 32 (0 for j ≥ width ≤ 32). w: the panel's first weight row.
void minimax_pack_panel_f32(const float *w, long k, long width, long first, long depth, float *panel);
/// out[c · rows + r] = a[r · columns + c] for rows r0 ≤ r < r1 of a [rows, columns] matrix.
void minimax_transpose_f32(const float *a, long rows, long columns, long r0, long r1, float *out);
void minimax_pack_panel_bf16(const uint16_t *w, long k, long width, long first, long depth, float *panel);
#endif

#ifndef MINIMAX_CKERNELS_BF16_DOT
#define MINIMAX_CKERNELS_BF16_DOT
/// The bf16 × bf16 product on AVX512_BF16 `vdpbf16ps` (matmul_bf16.c). K is padded to an even
/// length with a zero and viewed as P = ⌈K/2⌉ pairs; a pair is one 32-bit word holding two bf16,
/// the lower index in the low half. Call these only where `minimax_cpu_features()` has
/// AVX512F, BW, VL and AVX512_BF16 (elsewhere they trap). As the instructions do, denormal inputs count as zero.

/// Rows of the micro-kernel's tile (activations are packed in tiles of this many rows).
#define MINIMAX_BF16_ROWS 8
/// Output columns of one weight panel.
#define MINIMAX_BF16_COLUMNS 32


/// Rounds x to bf16 (nearest even) and packs it in row tiles: dst[t / 8, p, t % 8] is the pair
/// (x[t, 2p], x[t, 2p + 1]); an odd K's missing element and the rows that fill the last tile are 0.
/// x: [rows, k] fp32; dst: [⌈rows / 8⌉, P, 8] words.
void minimax_bf16_pack_activations(const float *x, long rows, long k, uint32_t *dst);

/// panel[pp, j] = (w[j, 2p], w[j, 2p + 1]) with p = first_pair + pp, for pp < pairs, j < 32.
/// w: [width, k] bf16 rows (width ≤ 32); columns j ≥ width and the missing half of an odd K's
/// last pair are 0. panel: [pairs, 32] words, 64-byte aligned.
void minimax_bf16_pack_panel(const uint16_t *w, long k, long width, long first_pair, long pairs, uint32_t *panel);

/// out[t, j] (+)= Σ_pp x[t, pp] · panel[pp, j] for t < rows, j < width ≤ 32: each output is one
/// fp32 accumulation in pp order (`accumulate` continues from the value already in out).
/// x: packed activations (`minimax_bf16_pack_activations`, rows with x_pairs pairs) advanced to the
/// first pair; panel: [pairs, 32]; out: [rows, out_stride] fp32.
void minimax_bf16_dot_panel(
    const uint32_t *x, long x_pairs, long rows, const uint32_t *panel, long pairs,
    float *out, long out_stride, long width, int accumulate);

/// `minimax_bf16_dot_panel` that also fetches `next` (NULL: nothing) into L2, one cache line every
/// few pairs spread over its work, so packing the next panel reads cached rows instead of waiting
/// on memory. The same arithmetic, the same bits.
void minimax_bf16_dot_panel_prefetching(
    const uint32_t *x, long x_pairs, long rows, const uint32_t *panel, long pairs,
    float *out, long out_stride, long width, int accumulate, const minimax_prefetch_rows *next);
#endif

#ifndef MINIMAX_CKERNELS_AMX
#define MINIMAX_CKERNELS_AMX
/// The bf16 × bf16 product on AMX tiles (matmul_amx.c): out[t, n] = Σ_k bf16(x[t, k]) · w[n, k]
/// with fp32 sums, the weights as the tiles' A operand (read in place from [N, K] bf16 rows) and
/// the activations as B. K is padded with zeros to a multiple of 32 (P = that / 2 pairs).
/// `tiles` picks the AMX instructions (only where `minimax_cpu_features()` has AMX_TILE and
/// AMX_BF16: the OS granted the tile state) or the software model of the tiles, which runs the
/// same kernel code on any CPU (for tests; slow).
enum { MINIMAX_AMX_TILES_MODEL = 0, MINIMAX_AMX_TILES_HARDWARE = 1 };

/// Words of packed activations for `rows` rows of k: ⌈rows / 32⌉·32 × P.
long minimax_amx_bf16_packed_words(long rows, long k);

/// Rounds x [rows, k] to bf16 (nearest even) and packs it in tiles of 16 rows: word
/// (t / 16, p, t % 16) is the pair (x[t, 2p], x[t, 2p + 1]), 0 past k and past `rows` (up to a
/// multiple of 32 rows). dst: `minimax_amx_bf16_packed_words(rows, k)` words.
void minimax_amx_bf16_pack_activations(const float *x, long rows, long k, uint32_t *dst);
/// The same with AVX512_BF16 (`vcvtneps2bf16`, 16 × 16 word transposes); bit-equal to the above.
/// Only where `minimax_cpu_features()` has AVX512F/BW/VL and AVX512_BF16.
void minimax_amx_bf16_pack_activations_avx512(const float *x, long rows, long k, uint32_t *dst);

/// Weight rows that share one pass over the activations (whole 32-row blocks): the scratch a
/// product needs is this many rows of K padded to a multiple of 32, bf16.
long minimax_amx_bf16_chunk_rows(long k);

/// out[t · out_stride + n] = Σ_k bf16 x[t, k] · w[n, k] for t < rows and first ≤ n < first + count.
/// packed: `minimax_amx_bf16_pack_activations`; w: [N, k] bf16; scratch: chunk_rows × padded K
/// bf16 (holds weight rows copied with zero padding where K is not a multiple of 32 or the last
/// 32-row block is partial). Each output is one fp32 accumulation in k order. `probe`: 0, or a sum
/// of MINIMAX_AMX_PROBE_* (below) parts of the work left out, for timing only.
void minimax_amx_bf16_product(
    const uint32_t *packed, long rows, long k, const uint16_t *w, long first, long count, float *out,
    long out_stride, uint16_t *scratch, int tiles, int probe);

/// The same product with the roles swapped: the activations, narrowed to bf16 rows
/// (`minimax_amx_bf16_narrow_activations`), are the tiles' A operand, read in place; the weight rows
/// first ..< first + count are packed into `panels` (`minimax_amx_bf16_panel_words(count, k)` words,
/// 64-byte aligned) as the B operand; C tiles go straight into out. The same bits as
/// `minimax_amx_bf16_product`. The AVX-512 weight packer runs with the hardware tiles (AMX CPUs have
/// AVX-512), a scalar one with the model.
void minimax_amx_bf16_product_activations_a(
    const uint16_t *act, long rows, long k, const uint16_t *w, long first, long count, float *out,
    long out_stride, uint32_t *panels, int tiles);
/// Weight rows first ..< first + count of w [N, k] bf16 as the B panels of
/// `minimax_amx_bf16_product_activations_a`: per 32-row block, word (p, j) = (w[n0 + j, 2p],
/// w[n0 + j, 2p + 1]), 0 past k, past the rows and up to ⌈k / 32⌉ · 16 pairs. `vector`: with the
/// AVX-512 packer of the `vdpbf16ps` product (AVX512F/BW only), else one word at a time; the same words.
void minimax_amx_bf16_pack_weights(const uint16_t *w, long k, long first, long count, uint32_t *panels, int vector);
/// Words of B panels for `count` weight rows of k: ⌈count / 32⌉ · 32 · ⌈k / 32⌉ · 16.
long minimax_amx_bf16_panel_words(long count, long k);
/// Elements of narrowed activations for rows × k: ⌈rows / 32⌉ · 32 · ⌈k / 32⌉ · 32.
long minimax_amx_bf16_narrowed_elements(long rows, long k);
/// dst[t, i] = bf16(x[t, i]) (nearest even), rows of ⌈k / 32⌉ · 32 elements, 0 past k and past
/// `rows` (up to a multiple of 32 rows).
void minimax_amx_bf16_narrow_activations(const float *x, long rows, long k, uint16_t *dst);

/// Parts of `minimax_amx_bf16_product`'s work that its probe leaves out, to time the rest
/// (`minimax bench-kernels --amx-parts`); the results are then wrong on purpose. NO_STORE: the C
/// tiles are neither stored nor written to out; NO_SCATTER: stored, not written to out;
/// SAME_WEIGHTS: every 32-row block of a chunk reads its first block's weights; SAME_ACTIVATIONS:
/// every 32-row block of activations reads the first one's.
enum {
    MINIMAX_AMX_PROBE_NO_STORE = 1, MINIMAX_AMX_PROBE_NO_SCATTER = 2, MINIMAX_AMX_PROBE_SAME_WEIGHTS = 4,
    MINIMAX_AMX_PROBE_SAME_ACTIVATIONS = 8
};

/// `iterations` × four `tdpbf16ps` on register tiles (no memory operands): 65536 flops each, the
/// tiles' peak rate when timed. AMX hardware only.
void minimax_amx_bf16_peak_loop(long iterations);

/// `iterations` steps of the products' 2 × 2 tile step (two A tiles of 16 rows `a_stride` bytes
/// apart, two 1 KB B tiles, four `tdpbf16ps`), the A tiles walking the first half of `buffer` as
/// 32-row blocks of a_stride-byte rows and the B tiles the second half: timed at several buffer
/// sizes, how fast tiles load from each level of the memory. `interleaved` issues each load just
/// before its first use instead of all four first. AMX hardware only.
void minimax_amx_bf16_load_loop(const uint8_t *buffer, long bytes, long a_stride, int interleaved, long iterations);

/// The int8-activation product on AMX tiles (`tdpbssd`): the activation scheme of
/// `minimax_quantize_activations_q8` (int8 codes per block of 32 with scale d and sum Σx), weights
/// int8 or q4 (CKernels.h's quantized rows). Each block's integer dots are exact; the fp32 work per
/// output is the int8-activation kernels' (d · weight scale times the dot, plus min · Σx for q4),
/// accumulated in block order (the VNNI kernels sum 16 lanes of blocks, then the lanes: the same
/// terms, another order). `tiles` as for the bf16 product (AMX_TILE and AMX_INT8 for hardware).

/// Bytes of packed activations for `rows` rows of k: ⌈rows / 32⌉ · 2 tiles of 16 rows.
long minimax_amx_q8_packed_bytes(long rows, long k);
/// Quantizes x [rows, k] per block of 32 (the codes, d and Σx of `minimax_quantize_activations_q8`)
/// into tiles of 16 rows (layout in amx_q8_layout.h), zero past k and past `rows`.
void minimax_amx_q8_pack_activations(const float *x, long rows, long k, uint8_t *dst);
/// Weight rows per pass over the activations (whole 32-row blocks): scratch is this many rows of
/// 32 · ⌈k / 32⌉ bytes.
long minimax_amx_q8_chunk_rows(long k);
/// out[t · out_stride + n] for t < rows, first ≤ n < first + count. codes: int8 [N, k] (q4 = 0) or
/// q4 rows of ⌈k/2⌉ bytes (q4 = 1, with mins); scales, mins: [N, ⌈k / group⌉] bf16; scratch:
/// `minimax_amx_q8_chunk_rows(k)` rows.
void minimax_amx_q8_product(
    const uint8_t *packed, long rows, long k, const void *codes, int q4, const uint16_t *scales,
    const uint16_t *mins, long group, long first, long count, float *out, long out_stride, int8_t *scratch, int tiles);
/// `iterations` × four register-only `tdpbssd`: 131072 integer operations each. AMX hardware only.
void minimax_amx_int8_peak_loop(long iterations);
#endif

#ifndef MINIMAX_CKERNELS_PEAK
#define MINIMAX_CKERNELS_PEAK
/// Register-only loops at an AVX-512 instruction's peak (bench-kernels' reference for the vector
/// kernels): `iterations` × twelve independent `vpdpbusd` / `vdpbf16ps` / `vfmadd231ps` on zmm.
/// Only where the CPU has the instruction (AVX512F/BW/VL, and VNNI or BF16); traps elsewhere.
enum { MINIMAX_PEAK_FMA = 0, MINIMAX_PEAK_VDPBF16PS = 1, MINIMAX_PEAK_VPDPBUSD = 2 };
int minimax_vector_peak_loop(int kind, long iterations);
/// Operations (a multiply-add counts two) of one iteration of `minimax_vector_peak_loop(kind, ·)`.
long minimax_vector_peak_operations(int kind);
#endif

#ifndef MINIMAX_CKERNELS_CPU
#define MINIMAX_CKERNELS_CPU
/// Bits of `minimax_cpu_features()`: each set only when the CPU has the instructions and the OS
/// saves their registers (XGETBV); the AMX bits only when Linux also granted the tile state.
enum {
    MINIMAX_CPU_AVX2 = 1 << 0,
    MINIMAX_CPU_FMA = 1 << 1,
    MINIMAX_CPU_AVX512F = 1 << 2,
    MINIMAX_CPU_AVX512BW = 1 << 3,
    MINIMAX_CPU_AVX512VL = 1 << 4,
    MINIMAX_CPU_AVX512_BF16 = 1 << 5,
    MINIMAX_CPU_AVX512_VNNI = 1 << 6,
    MINIMAX_CPU_AVX_VNNI = 1 << 7,
    MINIMAX_CPU_AMX_TILE = 1 << 8,
    MINIMAX_CPU_AMX_BF16 = 1 << 9,
    MINIMAX_CPU_AMX_INT8 = 1 << 10,
};
/// Detects the features (cpuid + XGETBV; requests AMX permission from the kernel). Call once.
uint32_t minimax_cpu_features(void);

/// The CPU's maker from cpuid leaf 0 (for tuning choices measured per maker, never for correctness).
enum { MINIMAX_CPU_VENDOR_OTHER = 0, MINIMAX_CPU_VENDOR_INTEL = 1, MINIMAX_CPU_VENDOR_AMD = 2 };
int minimax_cpu_vendor(void);
#endif

#ifndef MINIMAX_CKERNELS_QUANTIZED
#define MINIMAX_CKERNELS_QUANTIZED
/// Quantized weight rows (see Tensors' `WeightQuantization`): row r of W [rows, k] is split along
/// k into groups of `group` elements (a multiple of 32, or ≥ k: one group per row) with one bf16
/// scale each, scales[r · groups + g], groups = ⌈k / group⌉.
///   int8: w = code · scale, codes [rows, k] signed bytes;
///   q4:   w = code · scale + min, codes 0…15 two per byte, rows of ⌈k/2⌉ bytes; in every whole
///         block of 32 elements (from the row's start) byte j holds element j in its low nibble
///         and element j + 16 in its high one; a last partial block holds pairs (2j low, 2j+1 high).
/// The products dequantize in registers; each output (activation row t, weight row r) is one fp32
/// accumulation in a fixed order that depends on k and the group only (batch invariance, as the
/// other matrix-vector kernels): out[t·out_stride + r] = Σ_i x[t·x_stride + i] · w[r, i].
/// `_portable` is clang vector C for any target; `_avx512` needs AVX512F/BW/VL (it traps elsewhere).
void minimax_matvec_rows_q8_portable(
    const float *x, long x_rows, long x_stride, const int8_t *codes, const uint16_t *scales, long group, long k,
    long rows, float *out, long out_stride);
void minimax_matvec_rows_q8_avx512(
    const float *x, long x_rows, long x_stride, const int8_t *codes, const uint16_t *scales, long group, long k,
    long rows, float *out, long out_stride);
void minimax_matvec_rows_q4_portable(
    const float *x, long x_rows, long x_stride, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long k, long rows, float *out, long out_stride);
void minimax_matvec_rows_q4_avx512(
    const float *x, long x_rows, long x_stride, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long k, long rows, float *out, long out_stride);
/// out[0..<count] = elements first..<first+count of one quantized row as fp32 (prefill packing).
void minimax_dequantize_q8(const int8_t *codes, const uint16_t *scales, long group, long first, long count, float *out);
void minimax_dequantize_q4(
    const uint8_t *codes, const uint16_t *scales, const uint16_t *mins, long group, long k, long first, long count,
    float *out);
/// out[r · k + j] = element j of row r (r < rows) dequantized as above and rounded to the nearest
/// bf16 (ties to even): the operand of the bf16 kernels for quantized weights.
void minimax_dequantize_rows_bf16_q8(const int8_t *codes, const uint16_t *scales, long group, long k, long rows, uint16_t *out);
void minimax_dequantize_rows_bf16_q4(
    const uint8_t *codes, const uint16_t *scales, const uint16_t *mins, long group, long k, long rows, uint16_t *out);
#endif

#ifndef MINIMAX_CKERNELS_Q8_ACTIVATIONS
#define MINIMAX_CKERNELS_Q8_ACTIVATIONS
/// Activations quantized to int8 for the integer products with int8 and q4 weights (llama.cpp's
/// Q8_0 / Q8_1 activation scheme). Each row of k fp32 values is cut into blocks of 32 (the last
/// one zero-padded): d = max|x| / 127 (0 for a zero block), a = roundeven(x / d) clamped to
/// −127…127 (0 where d is 0), and the block's sum Σx in fp32 (x_j + x_{j+16} for j < 16, then
/// halving 8 + 4 + 2 + 1) for the q4 minimum term.
///
/// A quantized row takes `minimax_q8_activation_row_bytes(k)` bytes (64-byte aligned when the
/// buffer is): S = ⌈k / 512⌉ spans of 16 blocks, stored as
///   codes [S · 512] bytes, then d [S · 16] fp32, then Σx [S · 16] fp32, then c [S · 16] int32,
/// c = −128 · Σa (the int8 layout's correction for weights stored as w + 128; 0 in the q4 layout),
/// all 0 past the last block. Within a span, lane j (0…15) belongs to block β(j) = 4 · (j mod 4) +
/// ⌊j / 4⌋ (a 4 × 4 transpose, its own inverse): entry 16p + j of d, Σx and c is block 16p + β(j)'s,
/// and the 512 codes are eight vectors of 64 bytes whose bytes 4j…4j + 3 belong to lane j's block,
/// so that one integer lane of `vpdpbusd` accumulates a whole block. Codes are signed (padding 0):
///   MINIMAX_Q8_LAYOUT_INT8: vector n holds elements 4n…4n + 3 of each lane's block;
///   MINIMAX_Q8_LAYOUT_Q4: the partners of the q4 weight bytes' nibbles (the block's byte b holds
///     elements b and b + 16 in its low and high nibble): vector 2n holds the low-nibble partners of
///     bytes 4n…4n + 3, vector 2n + 1 the high-nibble ones; the row's last partial block pairs like
///     the weights (byte b: elements 2b and 2b + 1).
#define MINIMAX_Q8_BLOCK 32
#define MINIMAX_Q8_SPAN 512
enum { MINIMAX_Q8_LAYOUT_INT8 = 0, MINIMAX_Q8_LAYOUT_Q4 = 1 };

/// Bytes of one quantized activation row of k elements: ⌈k / 512⌉ · 640.
long minimax_q8_activation_row_bytes(long k);

/// Quantizes rows of x [rows, x_stride ≥ k] into dst (rows of `minimax_q8_activation_row_bytes(k)`).
void minimax_quantize_activations_q8(const float *x, long rows, long x_stride, long k, int layout, uint8_t *dst);

/// out[t·out_stride + r] ≈ Σ_i x[t, i] · w[r, i] from quantized activations (t < act_rows, laid out
/// for the weights' dtype) and the quantized weights of CKernels' quantized section (group: a
/// multiple of 32, or ≥ k). The integer dot of each block is exact; the float arithmetic depends on
/// k and the group only, never on act_rows, and the `_portable` twin and the `_vnni` kernel do the
/// same operations in the same order, so their results are equal bit for bit. Per span p, in k
/// order, lane by lane (lane j: block 16p + β(j)):
///   ds = d[p] · s[p], s[p][j] the scale of lane j's block's group (0 past the last block; int8
///   weights with one group per row skip this product: ds = d[p]);
///   acc = fma(float(isum_p), ds, acc), isum_p[j] the exact integer dot of lane j's block (|isum| <
///   2^24, so its float is exact);
///   q4 only: macc = fma(m[p], Σx[p], macc), m[p][j] the minimum of lane j's block's group;
/// then out = reduce(acc) (· the row's scale for int8 weights with one group per row) (+ reduce(macc)
/// for q4), reduce being halving 8 + 4 + 2 + 1 over the lanes.
/// `_vnni` needs AVX512F/BW/VL and AVX512_VNNI, `_avxvnni` AVX2, FMA and AVX-VNNI, `_avx2` AVX2 and
/// FMA (each traps elsewhere); all four give the same bits.
#define MINIMAX_Q8ACT_ROWS(SUFFIX)                                                                            \
    void minimax_q8act_matvec_rows_int8_##SUFFIX(                                                             \
        const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group,    \
        long rows, float *out, long out_stride);                                                               \
    void minimax_q8act_matvec_rows_q4_##SUFFIX(                                                               \
        const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales,              \
        const uint16_t *mins, long group, long rows, float *out, long out_stride);
MINIMAX_Q8ACT_ROWS(portable)
MINIMAX_Q8ACT_ROWS(vnni)
MINIMAX_Q8ACT_ROWS(avxvnni)
MINIMAX_Q8ACT_ROWS(avx2)

/// Prompts on AVX-512 VNNI (AVX512F/BW/VL and AVX512_VNNI; traps elsewhere): the results of
/// `minimax_q8act_matvec_rows_*_vnni`, bit for bit, with each panel of weight rows prepared once in
/// `scratch` (64-byte aligned, `minimax_q8act_vnni_panel_scratch_bytes(k, q4)` bytes) and met two
/// rows at a time by every block of eight activation rows. Fewer than 16 activation rows (decode,
/// small batches: too few to repay the preparation) go to the one-row kernel unchanged.
long minimax_q8act_vnni_panel_scratch_bytes(long k, int q4);
void minimax_q8act_panel_int8_vnni(
    const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group, long rows,
    float *out, long out_stride, uint8_t *scratch);
void minimax_q8act_panel_q4_vnni(
    const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long rows, float *out, long out_stride, uint8_t *scratch);

/// Decode (a single block of activation rows) prefetches the weight row `rows` rows ahead of the
/// one it multiplies, every 64-byte line of it; 0 (the default) prefetches nothing. Process-wide.
void minimax_q8act_set_prefetch_rows(long rows);
#endif
