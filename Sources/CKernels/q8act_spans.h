#ifndef MINIMAX_CKERNELS_Q8ACT_SPANS_H
#define MINIMAX_CKERNELS_Q8ACT_SPANS_H

// Shared by the portable, AVX2 and AVX-VNNI int8-activation kernels (matvec_q8_activations.c,
// matvec_q8_activations_avx2.c, _avxvnni.c; not part of the module's public header): a weight row's span of
// 512 inputs loaded and transposed into the activations' lane order (lane j: block β(j)) as
// sixteen-lane vectors of four bytes each, and the span's group values in the same order. Written
// with clang vector extensions, so each kernel compiles them for its own target.

#include "q8_activations.h"
#include "vector.h"

#define Q8ACT_INLINE static inline __attribute__((always_inline))

/// 64 bytes from src as sixteen dwords, zero from byte `available` on (a row's end).
Q8ACT_INLINE u32x16 load_bytes(const uint8_t *src, long available) {
    u32x16 v = {0};
    if (available >= 64) {
        memcpy(&v, src, 64);  // a constant size: one vector load, not a call
    } else if (available > 0) {
        memcpy(&v, src, (size_t)available);
    }
    return v;
}

/// Weight values of span p's 16 blocks' groups as fp32 in lane order (lane j: block 16p + β(j)'s
/// group; 0 past the row's last block).
Q8ACT_INLINE f32x16 lane_group_values(const uint16_t *values, long group, long k, long p) {
    f32x16 natural;
    if (group == MINIMAX_Q8_BLOCK && 16 * (p + 1) <= q8_blocks(k)) {
        natural = load_bf16(values + 16 * p);
    } else {
        float v[16];
        span_group_values(values, group, k, p, v);
        natural = load_f32(v);
    }
    return __builtin_shufflevector(natural, natural, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
}

/// Four vectors whose lanes 4L…4L + 3 hold dwords 0–3 of block 4c + L (c the vector) into four
/// whose lane j holds dword i (the vector) of block β(j) = c[j mod 4]'s dword 4⌊j / 4⌋ + i.
Q8ACT_INLINE void transpose_blocks(const u32x16 c[4], u32x16 out[4]) {
#define PICK(X, Y, n) \
    __builtin_shufflevector(X, Y, n, 16 + n, n, 16 + n, 4 + n, 20 + n, 4 + n, 20 + n, 8 + n, 24 + n, 8 + n, 24 + n, 12 + n, 28 + n, 12 + n, 28 + n)
#define MERGE(A, B) __builtin_shufflevector(A, B, 0, 1, 18, 19, 4, 5, 22, 23, 8, 9, 26, 27, 12, 13, 30, 31)
    out[0] = MERGE(PICK(c[0], c[1], 0), PICK(c[2], c[3], 0));
    out[1] = MERGE(PICK(c[0], c[1], 1), PICK(c[2], c[3], 1));
    out[2] = MERGE(PICK(c[0], c[1], 2), PICK(c[2], c[3], 2));
    out[3] = MERGE(PICK(c[0], c[1], 3), PICK(c[2], c[3], 3));
#undef PICK
#undef MERGE
}

/// Span p of an int8 weight row in the activations' order: vector n, lane j holds dword n of block
/// β(j) (four signed bytes; zero past k).
Q8ACT_INLINE void int8_span_dwords(const int8_t *w, long k, long p, u32x16 dwords[8]) {
    u32x16 v[8], low[4], high[4];
    for (int m = 0; m < 8; m++) {
        const long start = p * MINIMAX_Q8_SPAN + 64 * m;
        v[m] = load_bytes((const uint8_t *)w + start, k - start);
    }
    // v[m] holds blocks 2m (dwords 0–7) and 2m + 1: blocks 4i…4i + 3 by lane group, dwords 0–3 and 4–7.
    for (int i = 0; i < 4; i++) {
        low[i] = __builtin_shufflevector(v[2 * i], v[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
        high[i] = __builtin_shufflevector(v[2 * i], v[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
    }
    transpose_blocks(low, dwords);
    transpose_blocks(high, dwords + 4);
}

/// Span p of a q4 weight row in the activations' order: vector i, lane j holds dword i of block
/// β(j)'s 16 bytes (two nibbles each; zero past the row).
Q8ACT_INLINE void q4_span_dwords(const uint8_t *w, long row_bytes, long p, u32x16 dwords[4]) {
    u32x16 c[4];
    for (int q = 0; q < 4; q++) {
        const long start = p * MINIMAX_Q8_SPAN / 2 + 64 * q;
        c[q] = load_bytes(w + start, row_bytes - start);
    }
    transpose_blocks(c, dwords);
}

#endif
