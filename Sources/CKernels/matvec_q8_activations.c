#include "CKernels.h"
#include "q8_activations.h"
#include "vector.h"

// The portable twin of the int8-activation products (matvec_q8_activations_vnni.c): the same
// lanes (one block each) and the same exact integer dots, computed with clang vector extensions:
// each weight span is transposed into the activations' lane order once (the VNNI kernel's shuffles
// as `__builtin_shufflevector`), and each lane multiplies its four bytes per 64-byte vector as
// int32. int8 weights stay signed here (the VNNI kernel's w + 128 with the −128 · Σa correction is
// the same integer). The float operations are the VNNI kernel's in the same order (CKernels.h
// spells them out), with explicit FMAs; contraction is off so the compiler fuses nothing else, and
// the results equal the VNNI kernel's bit for bit.

#pragma clang fp contract(off)

typedef int32_t i32x16 __attribute__((vector_size(64)));

/// 64 bytes from src as sixteen dwords, zero from byte `available` on (a row's end).
static inline u32x16 load_bytes(const uint8_t *src, long available) {
    u32x16 v = {0};
    if (available > 0) memcpy(&v, src, available < 64 ? (size_t)available : 64);
    return v;
}

/// Weight values of span p's 16 blocks' groups as fp32 in lane order (lane j: block 16p + β(j)'s
/// group; 0 past the row's last block).
static inline f32x16 lane_group_values(const uint16_t *values, long group, long k, long p) {
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
static inline void transpose_blocks(const u32x16 c[4], u32x16 out[4]) {
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

/// Byte b of each dword, sign-extended.
#define SIGNED_BYTE(v, b) ((i32x16)((u32x16)(v) << (24 - 8 * (b))) >> 24)

/// Span p of an int8 weight row in the activations' order as bytes: wb[4n + b] lane j is byte b of
/// dword n of block β(j), signed (zero past k).
static inline void int8_span_weights(const int8_t *w, long k, long p, i32x16 wb[32]) {
    u32x16 v[8], low[4], high[4], dwords[8];
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
    for (int n = 0; n < 8; n++) {
        for (int b = 0; b < 4; b++) wb[4 * n + b] = SIGNED_BYTE(dwords[n], b);
    }
}

/// Span p of a q4 weight row in the activations' order as bytes: wb[4n + b] lane j is byte b of the
/// VNNI kernel's vector n (n = 2i: the low nibbles of dword i of block β(j)'s 16 bytes, 2i + 1: the
/// high ones), unsigned.
static inline void q4_span_weights(const uint8_t *w, long row_bytes, long p, i32x16 wb[32]) {
    u32x16 c[4], dwords[4];
    for (int q = 0; q < 4; q++) {
        const long start = p * MINIMAX_Q8_SPAN / 2 + 64 * q;
        c[q] = load_bytes(w + start, row_bytes - start);
    }
    transpose_blocks(c, dwords);
    for (int i = 0; i < 4; i++) {
        for (int b = 0; b < 4; b++) {
            wb[8 * i + b] = (i32x16)((dwords[i] >> (8 * b)) & 15);
            wb[8 * i + 4 + b] = (i32x16)((dwords[i] >> (8 * b + 4)) & 15);
        }
    }
}

/// The exact integer dot of each lane's block (lane j: block β(j)) of a span's 512 activation codes
/// `a` and the span's weight bytes.
static inline i32x16 span_dot(const i32x16 wb[32], const uint8_t *a) {
    i32x16 isum = {0};
    for (int n = 0; n < 8; n++) {
        u32x16 av;
        memcpy(&av, a + 64 * n, sizeof av);
        for (int b = 0; b < 4; b++) isum += wb[4 * n + b] * SIGNED_BYTE(av, b);
    }
    return isum;
}
#undef SIGNED_BYTE

static inline __attribute__((always_inline)) void int8_row(
    const uint8_t *act, long act_bytes, const int nt, const int8_t *w, const uint16_t *scales, long group, long k,
    float *out, long out_stride) {
    const long spans = q8_spans(k);
    const int one_group = group >= k;
    f32x16 acc[Q8ACT_ROWS_PER_BLOCK] = {{0}};
    for (long p = 0; p < spans; p++) {
        i32x16 wb[32];
        int8_span_weights(w, k, p, wb);
        const f32x16 s = one_group ? (f32x16){0} : lane_group_values(scales, group, k, p);
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = act + t * act_bytes;
            const i32x16 isum = span_dot(wb, a + p * MINIMAX_Q8_SPAN);
            const f32x16 d = load_f32(q8_block_scales(a, spans) + 16 * p), ds = one_group ? d : d * s;
            acc[t] = __builtin_elementwise_fma(__builtin_convertvector(isum, f32x16), ds, acc[t]);
        }
    }
    for (int t = 0; t < nt; t++) {
        const float sum = reduce(acc[t]);
        out[t * out_stride] = one_group ? sum * bf16_scalar(scales[0]) : sum;
    }
}

static inline __attribute__((always_inline)) void q4_row(
    const uint8_t *act, long act_bytes, const int nt, const uint8_t *w, const uint16_t *scales, const uint16_t *mins,
    long group, long k, float *out, long out_stride) {
    const long spans = q8_spans(k), row_bytes = (k + 1) / 2;
    f32x16 acc[Q8ACT_ROWS_PER_BLOCK] = {{0}}, macc[Q8ACT_ROWS_PER_BLOCK] = {{0}};
    for (long p = 0; p < spans; p++) {
        i32x16 wb[32];
        q4_span_weights(w, row_bytes, p, wb);
        const f32x16 s = lane_group_values(scales, group, k, p), m = lane_group_values(mins, group, k, p);
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = act + t * act_bytes;
            const i32x16 isum = span_dot(wb, a + p * MINIMAX_Q8_SPAN);
            const f32x16 ds = load_f32(q8_block_scales(a, spans) + 16 * p) * s;
            acc[t] = __builtin_elementwise_fma(__builtin_convertvector(isum, f32x16), ds, acc[t]);
            macc[t] = __builtin_elementwise_fma(m, load_f32(q8_block_sums(a, spans) + 16 * p), macc[t]);
        }
    }
    for (int t = 0; t < nt; t++) out[t * out_stride] = reduce(acc[t]) + reduce(macc[t]);
}

void minimax_q8act_matvec_rows_int8_portable(
    const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group, long rows,
    float *out, long out_stride) {
    const long groups = (k + group - 1) / group;
#define ROW(nt) int8_row(at, act_bytes, nt, codes + r * k, scales + r * groups, group, k, o, out_stride)
    Q8ACT_ROWS_LOOP(k, ROW)
#undef ROW
}

void minimax_q8act_matvec_rows_q4_portable(
    const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long rows, float *out, long out_stride) {
    const long groups = (k + group - 1) / group, row_bytes = (k + 1) / 2;
#define ROW(nt) \
    q4_row(at, act_bytes, nt, codes + r * row_bytes, scales + r * groups, mins + r * groups, group, k, o, out_stride)
    Q8ACT_ROWS_LOOP(row_bytes, ROW)
#undef ROW
}
