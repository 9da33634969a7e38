#include "CKernels.h"
#include "q8_activations.h"
#include "vector.h"

// The int8-activation products on AVX-512 VNNI: `vpdpbusd` multiplies 64 unsigned by 64 signed
// bytes into sixteen exact int32 lane sums. int8 weights meet activations stored as a + 128 (the
// unsigned operand), and 128 · Σw, from a second `vpdpbusd` against bytes of 128, is subtracted
// once per chunk for all activation rows; q4 codes are the unsigned operand against signed
// activations laid out as the nibbles' partners. The float arithmetic is the portable twin's
// (matvec_q8_activations.c), operation for operation, as CKernels.h defines it.

#if defined(__x86_64__)

#include <immintrin.h>

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define ALWAYS_INLINE __attribute__((always_inline)) inline

/// vector.h's `reduce` (the same adds in the same order), compiled for the target: an fp32x16
/// argument needs AVX-512 in the callee where the package builds for a generic CPU.
VNNI_TARGET static ALWAYS_INLINE float reduce_lanes(__m512 v) {
    typedef float f32x8 __attribute__((vector_size(32)));
    typedef float f32x4 __attribute__((vector_size(16)));
    const f32x16 u = (f32x16)v;
    f32x8 a = __builtin_shufflevector(u, u, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(u, u, 8, 9, 10, 11, 12, 13, 14, 15);
    f32x4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

/// Bytes [0, available) of 64 set (a row's end: the masked load reads nothing past it).
static inline __mmask64 byte_mask(long available) { return available >= 64 ? ~0ULL : (1ULL << available) - 1; }

/// The bf16 values of span p's 16 blocks' groups as fp32 (0 past the last block), the twin's
/// `span_group_values`: groups of 32 load sixteen at once, a span inside one group broadcasts.
VNNI_TARGET static ALWAYS_INLINE __m512 span_values(const uint16_t *values, long group, long k, long p) {
    const long blocks = q8_blocks(k), left = blocks - 16 * p;
    const __mmask16 valid = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
    if (group == MINIMAX_Q8_BLOCK) {
        const __m256i h = _mm256_maskz_loadu_epi16(valid, values + 16 * p);
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    if (group >= k || group % MINIMAX_Q8_SPAN == 0) {
        return _mm512_maskz_mov_ps(valid, _mm512_set1_ps(bf16_scalar(values[p * MINIMAX_Q8_SPAN / group])));
    }
    float v[16];
    span_group_values(values, group, k, p, v);
    return _mm512_loadu_ps(v);
}

/// Lane j of chunk c takes the scale of its block: ds[c · blocks_per_chunk + j / lanes_per_block].
VNNI_TARGET static ALWAYS_INLINE __m512 spread(__m512 ds, int c, int lanes_per_block) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const int shift = lanes_per_block == 8 ? 3 : 2;
    const __m512i index = _mm512_add_epi32(_mm512_srli_epi32(lane, shift), _mm512_set1_epi32(c * (16 / lanes_per_block)));
    return _mm512_permutexvar_ps(index, ds);
}

// int8 chunk c (64 elements) of span p against nt activation rows: w the weights (zero past k),
// the integer dot of each lane is vpdpbusd(a + 128, w) − 128 · Σw.
#define INT8_CHUNK(c, w)                                                                           \
    {                                                                                              \
        const __m512i bias = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8((char)128), (w))); \
        const long start = p * MINIMAX_Q8_SPAN + (c) * 64;                                         \
        for (int t = 0; t < nt; t++) {                                                             \
            const __m512i isum = _mm512_dpbusd_epi32(bias, _mm512_loadu_si512(act + t * act_bytes + start), (w)); \
            acc[t][(c) & 1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), spread(ds[t], (c), 8), acc[t][(c) & 1]); \
        }                                                                                          \
    }

VNNI_TARGET static ALWAYS_INLINE void int8_row(
    const uint8_t *act, long act_bytes, const int nt, const int8_t *w, const uint16_t *scales, long group, long k,
    float *out, long out_stride) {
    const long spans = q8_spans(k), whole_spans = k / MINIMAX_Q8_SPAN;
    const int one_group = group >= k;
    const __m512i zero = _mm512_setzero_si512();
    __m512 acc[4][2];
    for (int t = 0; t < 4; t++) acc[t][0] = acc[t][1] = _mm512_setzero_ps();
    for (long p = 0; p < spans; p++) {
        __m512 ds[4];
        if (one_group) {
            for (int t = 0; t < nt; t++) ds[t] = _mm512_loadu_ps(q8_block_scales(act + t * act_bytes, spans) + 16 * p);
        } else {
            const __m512 s = span_values(scales, group, k, p);
            for (int t = 0; t < nt; t++)
                ds[t] = _mm512_mul_ps(_mm512_loadu_ps(q8_block_scales(act + t * act_bytes, spans) + 16 * p), s);
        }
        if (p < whole_spans) {
#pragma clang loop unroll(full)
            for (int c = 0; c < 8; c++) {
                const __m512i wv = _mm512_loadu_si512(w + p * MINIMAX_Q8_SPAN + c * 64);
                INT8_CHUNK(c, wv)
            }
        } else {
            for (int c = 0; c < 8 && p * MINIMAX_Q8_SPAN + c * 64 < k; c++) {
                const long start = p * MINIMAX_Q8_SPAN + c * 64;
                const __m512i wv = _mm512_maskz_loadu_epi8(byte_mask(k - start), w + start);
                INT8_CHUNK(c, wv)
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        const float sum = reduce_lanes(_mm512_add_ps(acc[t][0], acc[t][1]));
        out[t * out_stride] = one_group ? sum * bf16_scalar(scales[0]) : sum;
    }
}
#undef INT8_CHUNK

// q4 chunk c (128 elements, 64 bytes of codes) of span p: the low nibbles against the chunk's
// first 64 activation codes, the high nibbles against the next 64, into the same lanes.
#define Q4_CHUNK(c, bytes)                                                                         \
    {                                                                                              \
        const __m512i low = _mm512_and_si512((bytes), nibble);                                     \
        const __m512i high = _mm512_and_si512(_mm512_srli_epi16((bytes), 4), nibble);              \
        const long start = p * MINIMAX_Q8_SPAN + (c) * 128;                                        \
        for (int t = 0; t < nt; t++) {                                                             \
            const uint8_t *a = act + t * act_bytes + start;                                        \
            __m512i isum = _mm512_dpbusd_epi32(zero, low, _mm512_loadu_si512(a));                  \
            isum = _mm512_dpbusd_epi32(isum, high, _mm512_loadu_si512(a + 64));                    \
            acc[t][(c) & 1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), spread(ds[t], (c), 4), acc[t][(c) & 1]); \
        }                                                                                          \
    }

VNNI_TARGET static ALWAYS_INLINE void q4_row(
    const uint8_t *act, long act_bytes, const int nt, const uint8_t *w, const uint16_t *scales, const uint16_t *mins,
    long group, long k, float *out, long out_stride) {
    const long spans = q8_spans(k), whole_spans = k / MINIMAX_Q8_SPAN, row_bytes = (k + 1) / 2;
    const __m512i zero = _mm512_setzero_si512(), nibble = _mm512_set1_epi8(15);
    __m512 acc[4][2], macc[4];
    for (int t = 0; t < 4; t++) acc[t][0] = acc[t][1] = macc[t] = _mm512_setzero_ps();
    for (long p = 0; p < spans; p++) {
        const __m512 s = span_values(scales, group, k, p), m = span_values(mins, group, k, p);
        __m512 ds[4];
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = act + t * act_bytes;
            ds[t] = _mm512_mul_ps(_mm512_loadu_ps(q8_block_scales(a, spans) + 16 * p), s);
            macc[t] = _mm512_fmadd_ps(m, _mm512_loadu_ps(q8_block_sums(a, spans) + 16 * p), macc[t]);
        }
        if (p < whole_spans) {
#pragma clang loop unroll(full)
            for (int c = 0; c < 4; c++) {
                const __m512i bytes = _mm512_loadu_si512(w + (p * MINIMAX_Q8_SPAN + c * 128) / 2);
                Q4_CHUNK(c, bytes)
            }
        } else {
            for (int c = 0; c < 4 && p * MINIMAX_Q8_SPAN + c * 128 < k; c++) {
                const long first_byte = (p * MINIMAX_Q8_SPAN + c * 128) / 2;
                const __m512i bytes = _mm512_maskz_loadu_epi8(byte_mask(row_bytes - first_byte), w + first_byte);
                Q4_CHUNK(c, bytes)
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        out[t * out_stride] = reduce_lanes(_mm512_add_ps(acc[t][0], acc[t][1])) + reduce_lanes(macc[t]);
    }
}
#undef Q4_CHUNK

VNNI_TARGET void minimax_q8act_matvec_rows_int8_vnni(
    const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group, long rows,
    float *out, long out_stride) {
    const long groups = (k + group - 1) / group;
#define ROW(nt) int8_row(at, act_bytes, nt, codes + r * k, scales + r * groups, group, k, o, out_stride)
    Q8ACT_ROWS_LOOP(k, ROW)
#undef ROW
}

VNNI_TARGET void minimax_q8act_matvec_rows_q4_vnni(
    const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long rows, float *out, long out_stride) {
    const long groups = (k + group - 1) / group, row_bytes = (k + 1) / 2;
#define ROW(nt) \
    q4_row(at, act_bytes, nt, codes + r * row_bytes, scales + r * groups, mins + r * groups, group, k, o, out_stride)
    Q8ACT_ROWS_LOOP(row_bytes, ROW)
#undef ROW
}

#else  // not x86-64: `KernelPath` never selects these.

void minimax_q8act_matvec_rows_int8_vnni(
    const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group, long rows,
    float *out, long out_stride) {
    (void)act; (void)act_rows; (void)k; (void)codes; (void)scales; (void)group; (void)rows; (void)out; (void)out_stride;
    __builtin_trap();
}

void minimax_q8act_matvec_rows_q4_vnni(
    const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long rows, float *out, long out_stride) {
    (void)act; (void)act_rows; (void)k; (void)codes; (void)scales; (void)mins; (void)group; (void)rows; (void)out;
    (void)out_stride;
    __builtin_trap();
}

#endif
