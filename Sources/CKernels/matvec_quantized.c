#include "CKernels.h"
#include "quantized.h"
#include "vector.h"

// The portable quantized matrix-vector kernels: clang vector extensions, which the compiler maps
// onto whatever vector unit the target has. Codes are widened to fp32 sixteen at a time, scaled
// (and offset) in registers, and multiplied into one accumulator per activation row in k order;
// the lanes are summed with `reduce`, then the tail element by element.

typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));

static inline f32x16 widen_i8(const int8_t *p) {
    i8x16 v;
    memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, f32x16);
}

static inline f32x16 splat(float v) { return (f32x16){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v}; }

/// One int8 row against nt activation rows: 16 codes per step.
static inline __attribute__((always_inline)) void q8_row(
    const float *x, long x_stride, const int nt, const int8_t *row, const uint16_t *scales, long group, long k,
    float *out, long out_stride) {
    f32x16 acc[4] = {{0}, {0}, {0}, {0}};
    f32x16 scale;
#define GROUP(g) scale = splat(bf16_scalar(scales[g]));
#define STEP_BODY                                                                                  \
    f32x16 w = widen_i8(row + i) * scale;                                                          \
    for (int t = 0; t < nt; t++) acc[t] += load_f32(x + t * x_stride + i) * w;
    GROUPED_STEPS(16, GROUP, STEP_BODY)
#undef GROUP
#undef STEP_BODY
    for (int t = 0; t < nt; t++) {
        float s = reduce(acc[t]);
        for (long j = i; j < k; j++) s += x[t * x_stride + j] * q8_value(row, scales, group, j);
        out[t * out_stride] = s;
    }
}

/// One q4 row against nt activation rows: a block of 32 codes (16 bytes) per step.
static inline __attribute__((always_inline)) void q4_row(
    const float *x, long x_stride, const int nt, const uint8_t *row, const uint16_t *scales, const uint16_t *mins,
    long group, long k, float *out, long out_stride) {
    f32x16 acc[4] = {{0}, {0}, {0}, {0}};
    f32x16 scale, min;
#define GROUP(g)                                                                                   \
    scale = splat(bf16_scalar(scales[g]));                                                         \
    min = splat(bf16_scalar(mins[g]));
#define STEP_BODY                                                                                  \
    u8x16 bytes;                                                                                   \
    memcpy(&bytes, row + i / 2, sizeof bytes);                                                     \
    f32x16 w0 = __builtin_convertvector(bytes & 15, f32x16) * scale + min;                         \
    f32x16 w1 = __builtin_convertvector(bytes >> 4, f32x16) * scale + min;                         \
    for (int t = 0; t < nt; t++) {                                                                 \
        acc[t] += load_f32(x + t * x_stride + i) * w0;                                             \
        acc[t] += load_f32(x + t * x_stride + i + 16) * w1;                                        \
    }
    GROUPED_STEPS(32, GROUP, STEP_BODY)
#undef GROUP
#undef STEP_BODY
    for (int t = 0; t < nt; t++) {
        float s = reduce(acc[t]);
        for (long j = i; j < k; j++) s += x[t * x_stride + j] * q4_value(row, scales, mins, group, k, j);
        out[t * out_stride] = s;
    }
}

void minimax_matvec_rows_q8_portable(
    const float *x, long x_rows, long x_stride, const int8_t *codes, const uint16_t *scales, long group, long k,
    long rows, float *out, long out_stride) {
    const long groups = (k + group - 1) / group;
#define ROW(nt) q8_row(xt, x_stride, nt, codes + r * k, scales + r * groups, group, k, o, out_stride)
    QUANTIZED_ROWS_LOOP(ROW)
#undef ROW
}

void minimax_matvec_rows_q4_portable(
    const float *x, long x_rows, long x_stride, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long k, long rows, float *out, long out_stride) {
    const long groups = (k + group - 1) / group, row_bytes = (k + 1) / 2;
#define ROW(nt) \
    q4_row(xt, x_stride, nt, codes + r * row_bytes, scales + r * groups, mins + r * groups, group, k, o, out_stride)
    QUANTIZED_ROWS_LOOP(ROW)
#undef ROW
}

// Dequantizing a range of one row (prefill packs weight panels from it): group by group, so the
// scale is loaded once per group and the inner loops vectorize; q4's whole 32-element blocks
// unpack both nibbles of a byte at once, anything else goes element by element.
void minimax_dequantize_q8(const int8_t *codes, const uint16_t *scales, long group, long first, long count, float *out) {
    const long end = first + count;
    for (long j = first; j < end;) {
        const long g = j / group, stop = (g + 1) * group < end ? (g + 1) * group : end;
        const float scale = bf16_scalar(scales[g]);
        for (; j < stop; j++) out[j - first] = (float)codes[j] * scale;
    }
}

void minimax_dequantize_q4(
    const uint8_t *codes, const uint16_t *scales, const uint16_t *mins, long group, long k, long first, long count,
    float *out) {
    const long end = first + count;
    for (long j = first; j < end;) {
        const long g = j / group, stop = (g + 1) * group < end ? (g + 1) * group : end;
        const float scale = bf16_scalar(scales[g]), min = bf16_scalar(mins[g]);
        while (j < stop) {
            if (j % 32 == 0 && j + 32 <= stop && j + 32 <= k) {
                const uint8_t *bytes = codes + j / 2;
                float *o = out + (j - first);
                for (int b = 0; b < 16; b++) {
                    o[b] = (float)(bytes[b] & 15) * scale + min;
                    o[b + 16] = (float)(bytes[b] >> 4) * scale + min;
                }
                j += 32;
            } else {
                out[j - first] = (float)q4_code(codes, k, j) * scale + min;
                j++;
            }
        }
    }
}

// Whole rows dequantized exactly as above (the same expressions), each value rounded to bf16: the
// bf16 kernels' weight operand (`BFloat16Rows`). Group by group (GROUPED_STEPS), 32 elements per
// step in sixteen-lane vectors (the same fp32 operations as above, lane by lane); a row's partial
// last block goes through the functions above.
typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));

/// Elements i… (the row's tail after the vector steps) of a row whose fp32 values DEQUANTIZE(first,
/// count, values) writes, rounded to bf16 into o.
#define BF16_TAIL(DEQUANTIZE)                                                                      \
    if (i < k) {                                                                                   \
        float values[32];                                                                          \
        DEQUANTIZE(i, k - i, values);                                                              \
        for (long e = 0; e < k - i; e++) o[i + e] = f32_to_bf16(values[e]);                        \
    }

void minimax_dequantize_rows_bf16_q8(const int8_t *codes, const uint16_t *scales, long group, long k, long rows, uint16_t *out) {
    const long groups = (k + group - 1) / group;
    for (long r = 0; r < rows; r++) {
        const int8_t *row = codes + r * k;
        const uint16_t *row_scales = scales + r * groups;
        uint16_t *o = out + r * k;
        float scale;
#define GROUP(g) scale = bf16_scalar(row_scales[g]);
#define STEP_BODY                                                                                  \
        i8x16 c0, c1;                                                                              \
        memcpy(&c0, row + i, 16);                                                                  \
        memcpy(&c1, row + i + 16, 16);                                                             \
        store_bf16(o + i, __builtin_convertvector(c0, f32x16) * scale);                            \
        store_bf16(o + i + 16, __builtin_convertvector(c1, f32x16) * scale);
        GROUPED_STEPS(32, GROUP, STEP_BODY)
#define DEQUANTIZE(first, count, values) minimax_dequantize_q8(row, row_scales, group, first, count, values)
        BF16_TAIL(DEQUANTIZE)
#undef DEQUANTIZE
#undef STEP_BODY
#undef GROUP
    }
}

void minimax_dequantize_rows_bf16_q4(
    const uint8_t *codes, const uint16_t *scales, const uint16_t *mins, long group, long k, long rows, uint16_t *out) {
    const long groups = (k + group - 1) / group, row_bytes = (k + 1) / 2;
    for (long r = 0; r < rows; r++) {
        const uint8_t *row = codes + r * row_bytes;
        const uint16_t *row_scales = scales + r * groups, *row_mins = mins + r * groups;
        uint16_t *o = out + r * k;
        float scale, min;
#define GROUP(g) scale = bf16_scalar(row_scales[g]), min = bf16_scalar(row_mins[g]);
#define STEP_BODY                                                                                  \
        u8x16 bytes;                                                                               \
        memcpy(&bytes, row + i / 2, 16);                                                           \
        store_bf16(o + i, __builtin_convertvector(bytes & 15, f32x16) * scale + min);              \
        store_bf16(o + i + 16, __builtin_convertvector(bytes >> 4, f32x16) * scale + min);
        GROUPED_STEPS(32, GROUP, STEP_BODY)
#define DEQUANTIZE(first, count, values) minimax_dequantize_q4(row, row_scales, row_mins, group, k, first, count, values)
        BF16_TAIL(DEQUANTIZE)
#undef DEQUANTIZE
#undef STEP_BODY
#undef GROUP
    }
}
