#ifndef MINIMAX_CKERNELS_Q8ACT_AVX2_SPANS_H
#define MINIMAX_CKERNELS_Q8ACT_AVX2_SPANS_H

// A weight span of the int8-activation products prepared for 256-bit integer dots, shared by the
// AVX2 (`vpmaddubsw`) and AVX-VNNI (`vpdpbusd` on ymm) kernels: unsigned weight bytes (int8 as |w|,
// q4 as its nibbles 0…15) and, for int8, the weights themselves, whose signs the kernels move onto
// the activations (`vpsignb`). x86-64 only.

#include "q8act_spans.h"
#include <immintrin.h>

#define AVX2_TARGET __attribute__((target("avx2,fma")))

/// A weight span as the VNNI kernel's eight vectors (lane j: four bytes of block β(j)), each as
/// two 256-bit halves (lanes 0–7, 8–15); int8 also keeps the sign source.
typedef struct {
    __m256i unsigned_bytes[8][2];
    __m256i signs[8][2];
} avx2_span_weights;

AVX2_TARGET static inline __attribute__((always_inline)) void avx2_split(u32x16 v, __m256i halves[2]) {
    memcpy(&halves[0], &v, 32);
    memcpy(&halves[1], (const char *)&v + 32, 32);
}

AVX2_TARGET static inline __attribute__((always_inline)) void avx2_int8_span(const int8_t *w, long k, long p, avx2_span_weights *out) {
    u32x16 dwords[8];
    int8_span_dwords(w, k, p, dwords);
    for (int n = 0; n < 8; n++) {
        avx2_split(dwords[n], out->signs[n]);
        for (int h = 0; h < 2; h++) out->unsigned_bytes[n][h] = _mm256_abs_epi8(out->signs[n][h]);
    }
}

AVX2_TARGET static inline __attribute__((always_inline)) void avx2_q4_span(const uint8_t *w, long row_bytes, long p, avx2_span_weights *out) {
    u32x16 dwords[4];
    q4_span_dwords(w, row_bytes, p, dwords);
    const __m256i nibble = _mm256_set1_epi8(15);
    for (int i = 0; i < 4; i++) {
        __m256i halves[2];
        avx2_split(dwords[i], halves);
        for (int h = 0; h < 2; h++) {
            out->unsigned_bytes[2 * i][h] = _mm256_and_si256(halves[h], nibble);
            out->unsigned_bytes[2 * i + 1][h] = _mm256_and_si256(_mm256_srli_epi16(halves[h], 4), nibble);
        }
    }
}

/// NAME(w, a, layout): i32x16, lane j the exact integer dot of block β(j) of span w and the 512
/// activation codes at a (q8act_rows_body.h's q8act_span_dot), each 32-byte step added into its
/// half's int32 lanes by ACCUMULATE(sum, unsigned weight bytes, signed activation bytes).
#define AVX2_SPAN_DOT(ATTR, NAME, ACCUMULATE)                                                               \
    ATTR static inline __attribute__((always_inline)) i32x16 NAME(const avx2_span_weights *w, const uint8_t *a, int layout) { \
        __m256i sum[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};                                 \
        for (int n = 0; n < 8; n++) {                                                                       \
            for (int h = 0; h < 2; h++) {                                                                   \
                __m256i codes = _mm256_loadu_si256((const __m256i *)(const void *)(a + 64 * n + 32 * h));  \
                if (layout == MINIMAX_Q8_LAYOUT_INT8) codes = _mm256_sign_epi8(codes, w->signs[n][h]);     \
                sum[h] = ACCUMULATE(sum[h], w->unsigned_bytes[n][h], codes);                               \
            }                                                                                               \
        }                                                                                                   \
        i32x16 isum;                                                                                        \
        memcpy(&isum, &sum[0], 32);                                                                         \
        memcpy((char *)&isum + 32, &sum[1], 32);                                                            \
        return isum;                                                                                        \
    }

// The span type and its preparation, for q8act_rows_body.h.
#define Q8ACT_WEIGHTS avx2_span_weights
#define q8act_int8_span avx2_int8_span
#define q8act_q4_span avx2_q4_span

#endif
