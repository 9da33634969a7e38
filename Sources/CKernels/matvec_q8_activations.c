#include "CKernels.h"
#include "q8_activations.h"
#include "vector.h"

// The portable twin of the int8-activation products (matvec_q8_activations_vnni.c): the same
// lanes (one block each), the same exact integer dots, computed here element by element from the
// codes' documented positions, and the same float operations in the same order (CKernels.h spells
// them out), written with clang vector extensions and explicit FMAs; contraction is off so the
// compiler fuses nothing else, and the results equal the VNNI kernel's bit for bit.

#pragma clang fp contract(off)

typedef int32_t i32x16 __attribute__((vector_size(64)));

/// Weight values of span p's 16 blocks' groups as fp32 in lane order (lane j: block 16p + β(j)'s
/// group; 0 past the row's last block).
static inline f32x16 lane_group_values(const uint16_t *values, long group, long k, long p) {
    float natural[16], v[16];
    span_group_values(values, group, k, p, natural);
    for (int j = 0; j < 16; j++) v[j] = natural[q8_lane_block(j)];
    return load_f32(v);
}

/// The exact integer dot of each lane's block in span p (lane j: block 16p + β(j)) of one quantized
/// activation row and the weight row, `weight(e)` the code of element e < k.
#define LANE_DOTS(isum, a, layout, WEIGHT)                                                         \
    for (int j = 0; j < 16; j++) {                                                                 \
        const long first = p * MINIMAX_Q8_SPAN + MINIMAX_Q8_BLOCK * q8_lane_block(j);              \
        const long count = k - first < 0 ? 0 : (k - first < 32 ? k - first : 32);                  \
        int32_t dot = 0;                                                                           \
        for (long o = 0; o < count; o++) {                                                         \
            const long e = first + o;                                                              \
            dot += (int8_t)(a)[p * MINIMAX_Q8_SPAN + q8_code_position(layout, e % MINIMAX_Q8_SPAN, count < 32)] * (WEIGHT(e)); \
        }                                                                                          \
        (isum)[j] = dot;                                                                           \
    }

static inline __attribute__((always_inline)) void int8_row(
    const uint8_t *act, long act_bytes, const int nt, const int8_t *w, const uint16_t *scales, long group, long k,
    float *out, long out_stride) {
    const long spans = q8_spans(k);
    const int one_group = group >= k;
    f32x16 acc[Q8ACT_ROWS_PER_BLOCK] = {{0}};
    for (long p = 0; p < spans; p++) {
        const f32x16 s = one_group ? (f32x16){0} : lane_group_values(scales, group, k, p);
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = act + t * act_bytes;
            i32x16 isum;
#define INT8_WEIGHT(e) w[e]
            LANE_DOTS(isum, a, MINIMAX_Q8_LAYOUT_INT8, INT8_WEIGHT)
#undef INT8_WEIGHT
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
    const long spans = q8_spans(k);
    f32x16 acc[Q8ACT_ROWS_PER_BLOCK] = {{0}}, macc[Q8ACT_ROWS_PER_BLOCK] = {{0}};
    for (long p = 0; p < spans; p++) {
        const f32x16 s = lane_group_values(scales, group, k, p), m = lane_group_values(mins, group, k, p);
        for (int t = 0; t < nt; t++) {
            const uint8_t *a = act + t * act_bytes;
            i32x16 isum;
#define Q4_WEIGHT(e) q4_code(w, k, e)
            LANE_DOTS(isum, a, MINIMAX_Q8_LAYOUT_Q4, Q4_WEIGHT)
#undef Q4_WEIGHT
            const f32x16 ds = load_f32(q8_block_scales(a, spans) + 16 * p) * s;
            acc[t] = __builtin_elementwise_fma(__builtin_convertvector(isum, f32x16), ds, acc[t]);
            macc[t] = __builtin_elementwise_fma(m, load_f32(q8_block_sums(a, spans) + 16 * p), macc[t]);
        }
    }
    for (int t = 0; t < nt; t++) out[t * out_stride] = reduce(acc[t]) + reduce(macc[t]);
}
#undef LANE_DOTS

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
