#include "CKernels.h"
#include "q8_activations.h"
#include "vector.h"

// The portable twin of the int8-activation products (matvec_q8_activations_vnni.c): the same
// lanes, the same exact integer dots and the same float operations in the same order (CKernels.h
// spells them out), written with clang vector extensions and explicit FMAs; contraction is off so
// the compiler fuses nothing else, and the results equal the VNNI kernel's bit for bit.

#pragma clang fp contract(off)

typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef uint8_t u8x64 __attribute__((vector_size(64)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));

/// Lane j = Σ_{q<4} u[4j + q] · s[4j + q], u unsigned and s signed bytes (what `vpdpbusd` adds).
static inline i32x16 lane_dots(u8x64 u, u8x64 s) {
    i32x16 sum = {0};
#define QUARTER(q)                                                                                 \
    {                                                                                              \
        u8x16 uq = __builtin_shufflevector(u, u, q, q + 4, q + 8, q + 12, q + 16, q + 20, q + 24, q + 28, q + 32, \
                                           q + 36, q + 40, q + 44, q + 48, q + 52, q + 56, q + 60);   \
        u8x16 sq = __builtin_shufflevector(s, s, q, q + 4, q + 8, q + 12, q + 16, q + 20, q + 24, q + 28, q + 32, \
                                           q + 36, q + 40, q + 44, q + 48, q + 52, q + 56, q + 60);   \
        typedef int8_t i8x16 __attribute__((vector_size(16)));                                     \
        sum += __builtin_convertvector(uq, i32x16) * __builtin_convertvector((i8x16)sq, i32x16);   \
    }
    QUARTER(0) QUARTER(1) QUARTER(2) QUARTER(3)
#undef QUARTER
    return sum;
}

/// 64 bytes from p, zero past `available` (a row's end).
static inline u8x64 load_bytes(const void *p, long available) {
    u8x64 v = {0};
    memcpy(&v, p, available < 64 ? available : 64);
    return v;
}

/// Lane j = v[first + j / per_block]: each block's value spread over its lanes.
static inline f32x16 spread(f32x16 v, int first, int per_block) {
    f32x16 out;
    for (int j = 0; j < 16; j++) out[j] = v[first + j / per_block];
    return out;
}

static inline f32x16 load_span_values(const uint16_t *values, long group, long k, long span) {
    float v[16];
    span_group_values(values, group, k, span, v);
    return load_f32(v);
}

static inline __attribute__((always_inline)) void int8_row(
    const uint8_t *act, long act_bytes, const int nt, const int8_t *w, const uint16_t *scales, long group, long k,
    float *out, long out_stride) {
    const long spans = q8_spans(k);
    const int one_group = group >= k;
    const f32x16 ones = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    f32x16 acc[4][2] = {{{0}, {0}}, {{0}, {0}}, {{0}, {0}}, {{0}, {0}}};
    for (long p = 0; p < spans; p++) {
        const f32x16 s = one_group ? ones : load_span_values(scales, group, k, p);  // x · 1 is exact
        f32x16 ds[4];
        for (int t = 0; t < nt; t++) ds[t] = load_f32(q8_block_scales(act + t * act_bytes, spans) + 16 * p) * s;
        for (int c = 0; c < 8; c++) {
            const long start = p * MINIMAX_Q8_SPAN + c * 64;
            if (start >= k) break;
            const u8x64 wv = load_bytes(w + start, k - start);
            for (int t = 0; t < nt; t++) {
                u8x64 av;
                memcpy(&av, act + t * act_bytes + start, sizeof av);
                const u8x64 bias = (u8x64){0} + 128;
                const i32x16 isum = lane_dots(av, wv) - lane_dots(bias, wv);
                acc[t][c & 1] = __builtin_elementwise_fma(__builtin_convertvector(isum, f32x16), spread(ds[t], 2 * c, 8), acc[t][c & 1]);
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        float sum = reduce(acc[t][0] + acc[t][1]);
        out[t * out_stride] = one_group ? sum * bf16_scalar(scales[0]) : sum;
    }
}

static inline __attribute__((always_inline)) void q4_row(
    const uint8_t *act, long act_bytes, const int nt, const uint8_t *w, const uint16_t *scales, const uint16_t *mins,
    long group, long k, float *out, long out_stride) {
    const long spans = q8_spans(k), row_bytes = (k + 1) / 2;
    f32x16 acc[4][2] = {{{0}, {0}}, {{0}, {0}}, {{0}, {0}}, {{0}, {0}}};
    f32x16 macc[4] = {{0}, {0}, {0}, {0}};
    for (long p = 0; p < spans; p++) {
        const f32x16 s = load_span_values(scales, group, k, p), m = load_span_values(mins, group, k, p);
        f32x16 ds[4];
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = act + t * act_bytes;
            ds[t] = load_f32(q8_block_scales(a, spans) + 16 * p) * s;
            macc[t] = __builtin_elementwise_fma(m, load_f32(q8_block_sums(a, spans) + 16 * p), macc[t]);
        }
        for (int c = 0; c < 4; c++) {
            const long start = p * MINIMAX_Q8_SPAN + c * 128;
            if (start >= k) break;
            const u8x64 bytes = load_bytes(w + start / 2, row_bytes - start / 2);
            const u8x64 low = bytes & 15, high = bytes >> 4;
            for (int t = 0; t < nt; t++) {
                u8x64 a_low, a_high;
                memcpy(&a_low, act + t * act_bytes + start, sizeof a_low);
                memcpy(&a_high, act + t * act_bytes + start + 64, sizeof a_high);
                const i32x16 isum = lane_dots(low, a_low) + lane_dots(high, a_high);
                acc[t][c & 1] = __builtin_elementwise_fma(__builtin_convertvector(isum, f32x16), spread(ds[t], 4 * c, 4), acc[t][c & 1]);
            }
        }
    }
    for (int t = 0; t < nt; t++) out[t * out_stride] = reduce(acc[t][0] + acc[t][1]) + reduce(macc[t]);
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
