#ifndef MINIMAX_CKERNELS_Q8ACT_VNNI_H
#define MINIMAX_CKERNELS_Q8ACT_VNNI_H

// The pieces of the AVX-512 VNNI int8-activation kernels (matvec_q8_activations_vnni.c, and
// matvec_q8_activations_vnni_panel.c for prompts; not part of the module's public header): a weight
// row's span of 512 inputs loaded and shuffled into the activations' lane order (lane j: block
// β(j)), the span's group values in the same order, the lanes' reductions, and one weight row
// against a block of up to eight activation rows. x86-64 only.

#include <immintrin.h>

#include "q8_activations.h"
#include "vector.h"

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

/// The bf16 values of span p's 16 blocks' groups as fp32 in lane order (lane j: block 16p + β(j)'s
/// group, 0 past the last block), the twin's `lane_group_values`: groups of 32 load sixteen at once,
/// a span inside one group broadcasts.
VNNI_TARGET static ALWAYS_INLINE __m512 lane_values(const uint16_t *values, long group, long k, long p) {
    const __m512i beta = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const long blocks = q8_blocks(k), left = blocks - 16 * p;
    const __mmask16 valid = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
    __m512 natural;
    if (group == MINIMAX_Q8_BLOCK) {
        const __m256i h = _mm256_maskz_loadu_epi16(valid, values + 16 * p);
        natural = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    } else if (group >= k || group % MINIMAX_Q8_SPAN == 0) {
        natural = _mm512_maskz_mov_ps(valid, _mm512_set1_ps(bf16_scalar(values[p * MINIMAX_Q8_SPAN / group])));
    } else {
        float v[16];
        span_group_values(values, group, k, p, v);
        natural = _mm512_loadu_ps(v);
    }
    return _mm512_permutexvar_ps(beta, natural);
}

/// Four vectors whose 128-bit lane L holds dwords 0–3 of block 4c + L (c the vector) into four whose
/// lane j = 4L + q holds dword i (the vector) of block 4q + L = β(j): the 4 × 4 transposes of dwords
/// and of blocks at once.
VNNI_TARGET static ALWAYS_INLINE void transpose_blocks(const __m512i c[4], __m512i out[4]) {
#define PD(v) _mm512_castsi512_pd(v)
#define PS(v) _mm512_castpd_ps(v)
    const __m512d p01 = _mm512_shuffle_pd(PD(c[0]), PD(c[1]), 0x00), q01 = _mm512_shuffle_pd(PD(c[0]), PD(c[1]), 0xFF);
    const __m512d p23 = _mm512_shuffle_pd(PD(c[2]), PD(c[3]), 0x00), q23 = _mm512_shuffle_pd(PD(c[2]), PD(c[3]), 0xFF);
    out[0] = _mm512_castps_si512(_mm512_shuffle_ps(PS(p01), PS(p23), _MM_SHUFFLE(2, 0, 2, 0)));
    out[1] = _mm512_castps_si512(_mm512_shuffle_ps(PS(p01), PS(p23), _MM_SHUFFLE(3, 1, 3, 1)));
    out[2] = _mm512_castps_si512(_mm512_shuffle_ps(PS(q01), PS(q23), _MM_SHUFFLE(2, 0, 2, 0)));
    out[3] = _mm512_castps_si512(_mm512_shuffle_ps(PS(q01), PS(q23), _MM_SHUFFLE(3, 1, 3, 1)));
#undef PD
#undef PS
}

/// Span p of an int8 weight row in the activations' order: vector n, lane j holds dword n of block
/// β(j), each byte w + 128 (the unsigned operand; zero weights past k).
VNNI_TARGET static ALWAYS_INLINE void int8_span_weights(const int8_t *w, long k, long p, int whole, __m512i out[8]) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i v[8], low[4], high[4];
    for (int m = 0; m < 8; m++) {
        const long start = p * MINIMAX_Q8_SPAN + 64 * m;
        const __m512i raw = whole ? _mm512_loadu_si512(w + start)
                                  : (start < k ? _mm512_maskz_loadu_epi8(byte_mask(k - start), w + start) : _mm512_setzero_si512());
        v[m] = _mm512_xor_si512(raw, flip);
    }
    // v[m] holds blocks 2m (dwords 0–7) and 2m + 1: gather blocks 4i…4i + 3 by lane, dwords 0–3 and 4–7.
    for (int i = 0; i < 4; i++) {
        low[i] = _mm512_shuffle_i32x4(v[2 * i], v[2 * i + 1], 0x88);
        high[i] = _mm512_shuffle_i32x4(v[2 * i], v[2 * i + 1], 0xDD);
    }
    transpose_blocks(low, out);
    transpose_blocks(high, out + 4);
}

/// Span p of a q4 weight row in the activations' order: vector 2i (2i + 1), lane j holds the low
/// (high) nibbles of dword i of block β(j)'s 16 bytes.
VNNI_TARGET static ALWAYS_INLINE void q4_span_weights(const uint8_t *w, long row_bytes, long p, int whole, __m512i out[8]) {
    const __m512i nibble = _mm512_set1_epi8(15);
    __m512i c[4], dwords[4];
    for (int q = 0; q < 4; q++) {
        const long start = p * MINIMAX_Q8_SPAN / 2 + 64 * q;
        c[q] = whole ? _mm512_loadu_si512(w + start)
                     : (start < row_bytes ? _mm512_maskz_loadu_epi8(byte_mask(row_bytes - start), w + start) : _mm512_setzero_si512());
    }
    transpose_blocks(c, dwords);
    for (int i = 0; i < 4; i++) {
        out[2 * i] = _mm512_and_si512(dwords[i], nibble);
        out[2 * i + 1] = _mm512_and_si512(_mm512_srli_epi16(dwords[i], 4), nibble);
    }
}

/// reduce_lanes of eight vectors at once, each vector's adds the same and in the same order:
/// out[t] = reduce_lanes(v[t]), in 13 shuffles and 7 adds instead of eight reductions' 48 operations.
VNNI_TARGET static ALWAYS_INLINE void reduce_eight(const __m512 v[8], float out[8]) {
    __m512 a[4], b[2];
    for (int i = 0; i < 4; i++) {  // lanes 0–7: v[2i]'s halves added; 8–15: v[2i + 1]'s
        const __m512 low = _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44);
        const __m512 high = _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE);
        a[i] = _mm512_add_ps(low, high);
    }
    for (int i = 0; i < 2; i++) {  // 128-bit lane L: the quarters of v[4i + L] added
        const __m512 low = _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x88);
        const __m512 high = _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xDD);
        b[i] = _mm512_add_ps(low, high);
    }
    // 128-bit lane L: [b0 + b2, b1 + b3] of v[L] (from b[0]), then of v[4 + L] (from b[1]); then their sums.
    const __m512 pairs = _mm512_add_ps(_mm512_shuffle_ps(b[0], b[1], _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm512_shuffle_ps(b[0], b[1], _MM_SHUFFLE(3, 2, 3, 2)));
    const __m512 sums = _mm512_add_ps(_mm512_shuffle_ps(pairs, pairs, _MM_SHUFFLE(2, 0, 2, 0)),
                                      _mm512_shuffle_ps(pairs, pairs, _MM_SHUFFLE(3, 1, 3, 1)));
    float lanes[16] __attribute__((aligned(64)));
    _mm512_store_ps(lanes, sums);
    for (int L = 0; L < 4; L++) {
        out[L] = lanes[4 * L];
        out[4 + L] = lanes[4 * L + 1];
    }
}

/// The exact integer dots of span p's blocks (lane j: block β(j)) for nt activation rows (row t at
/// a + t · act_bytes, the span's codes): their eight code vectors against the weights', into isum
/// (which holds the int8 correction, or zero). The rows' sums interleave: eight independent chains
/// hide `vpdpbusd`'s latency (integer sums, so the order changes nothing).
VNNI_TARGET static ALWAYS_INLINE void span_dots(
    __m512i isum[Q8ACT_ROWS_PER_BLOCK], const int nt, const __m512i wv[8], const uint8_t *a, long act_bytes) {
    if (nt < 4) {  // few rows (decode): two chains per row, the odd vectors' added at the end
        __m512i odd[4];
        for (int t = 0; t < nt; t++) odd[t] = _mm512_setzero_si512();
        for (int n = 0; n < 8; n += 2) {
            for (int t = 0; t < nt; t++) {
                isum[t] = _mm512_dpbusd_epi32(isum[t], wv[n], _mm512_loadu_si512(a + t * act_bytes + 64 * n));
                odd[t] = _mm512_dpbusd_epi32(odd[t], wv[n + 1], _mm512_loadu_si512(a + t * act_bytes + 64 * (n + 1)));
            }
        }
        for (int t = 0; t < nt; t++) isum[t] = _mm512_add_epi32(isum[t], odd[t]);
        return;
    }
    for (int n = 0; n < 8; n++) {
        for (int t = 0; t < nt; t++) isum[t] = _mm512_dpbusd_epi32(isum[t], wv[n], _mm512_loadu_si512(a + t * act_bytes + 64 * n));
    }
}

VNNI_TARGET static ALWAYS_INLINE void q8act_int8_rows_at(
    const q8act_block_at at, const int nt, const int8_t *w, const uint16_t *scales, long group, long k,
    float *out, long out_stride) {
    const long spans = q8_spans(k), whole_spans = k / MINIMAX_Q8_SPAN;
    const int one_group = group >= k;
    __m512 acc[Q8ACT_ROWS_PER_BLOCK];
    for (int t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
    for (long p = 0; p < spans; p++) {
        __m512i wv[8];
        int8_span_weights(w, k, p, p < whole_spans, wv);
        const __m512 s = one_group ? _mm512_setzero_ps() : lane_values(scales, group, k, p);
        __m512i isum[Q8ACT_ROWS_PER_BLOCK];
        for (int t = 0; t < nt; t++) isum[t] = _mm512_loadu_si512(at.corr + t * at.meta_row + p * at.meta_span);
        span_dots(isum, nt, wv, at.codes + p * at.code_span, at.code_row);
        for (int t = 0; t < nt; t++) {
            const __m512 d = _mm512_loadu_ps(at.d + t * at.meta_row + p * at.meta_span), ds = one_group ? d : _mm512_mul_ps(d, s);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), ds, acc[t]);
        }
    }
    for (int t = 0; t < nt; t++) {
        const float sum = reduce_lanes(acc[t]);
        out[t * out_stride] = one_group ? sum * bf16_scalar(scales[0]) : sum;
    }
}

VNNI_TARGET static ALWAYS_INLINE void q8act_q4_rows_at(
    const q8act_block_at at, const int nt, const uint8_t *w, const uint16_t *scales, const uint16_t *mins,
    long group, long k, float *out, long out_stride) {
    const long spans = q8_spans(k), whole_spans = k / MINIMAX_Q8_SPAN, row_bytes = (k + 1) / 2;
    __m512 acc[Q8ACT_ROWS_PER_BLOCK], macc[Q8ACT_ROWS_PER_BLOCK];
    for (int t = 0; t < nt; t++) acc[t] = macc[t] = _mm512_setzero_ps();
    for (long p = 0; p < spans; p++) {
        __m512i wv[8];
        q4_span_weights(w, row_bytes, p, p < whole_spans, wv);
        const __m512 s = lane_values(scales, group, k, p), m = lane_values(mins, group, k, p);
        __m512i isum[Q8ACT_ROWS_PER_BLOCK];
        for (int t = 0; t < nt; t++) isum[t] = _mm512_setzero_si512();
        span_dots(isum, nt, wv, at.codes + p * at.code_span, at.code_row);
        for (int t = 0; t < nt; t++) {
            const long meta = t * at.meta_row + p * at.meta_span;
            const __m512 ds = _mm512_mul_ps(_mm512_loadu_ps(at.d + meta), s);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), ds, acc[t]);
            macc[t] = _mm512_fmadd_ps(m, _mm512_loadu_ps(at.sums + meta), macc[t]);
        }
    }
    for (int t = 0; t < nt; t++) out[t * out_stride] = reduce_lanes(acc[t]) + reduce_lanes(macc[t]);
}

#endif
