#include "CKernels.h"
#include "vector.h"

/// Sum of the 16 lanes by halving: 8 + 4 + 2 + 1 adds.
static inline float reduce(f32x16 v) {
    typedef float f32x8 __attribute__((vector_size(32)));
    typedef float f32x4 __attribute__((vector_size(16)));
    f32x8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    f32x4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

/// v[g] summed across its 16 lanes, for g < 16, as the 16 lanes of one vector: four levels of
/// pairwise shuffles and adds (30 shuffles for 16 sums instead of a shuffle tree per sum).
static inline f32x16 transpose_sum16(const f32x16 v[16]) {
    f32x16 w[8], x[4], y[2];
    for (int i = 0; i < 8; i++)  // lanes 0-7: partial sums of v[2i]; 8-15: of v[2i+1]
        w[i] = __builtin_shufflevector(v[2 * i], v[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
               __builtin_shufflevector(v[2 * i], v[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    for (int i = 0; i < 4; i++)  // four lanes each for v[4i] ... v[4i+3]
        x[i] = __builtin_shufflevector(w[2 * i], w[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +
               __builtin_shufflevector(w[2 * i], w[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
    for (int i = 0; i < 2; i++)  // two lanes each for v[8i] ... v[8i+7]
        y[i] = __builtin_shufflevector(x[2 * i], x[2 * i + 1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) +
               __builtin_shufflevector(x[2 * i], x[2 * i + 1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
    return __builtin_shufflevector(y[0], y[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) +
           __builtin_shufflevector(y[0], y[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

// Every kernel here computes each output (activation row t, weight row r) in one fixed order
// that depends only on k — never on how many rows or activations share the call, where the call's
// range starts, or the thread count — so a sequence's results do not depend on its batch:
//   short rows (k a multiple of 16, k ≤ SHORT_ROW): one accumulator over 16-element steps;
//   long rows: four accumulators over 64-element steps, then 16-element steps into the first;
// then the same shuffle-tree horizontal sum, then the scalar tail.
#define SHORT_ROW 128
#define IDENTITY_SCALAR(v) (v)
#define IS_SHORT(k) ((k) % 16 == 0 && (k) <= SHORT_ROW)

// Short rows are dominated by the horizontal sum at the end of each row, so sixteen rows — one
// contiguous block of memory — are summed at once, one accumulator per row, and reduced together
// by transpose_sum16 (the same additions as `reduce`, lane for lane). The rows left over after the
// blocks of sixteen take the same single-accumulator order one at a time.
#define SHORT_ROWS_BODY(LOAD)                                                                      \
    for (; r + 16 <= rows; r += 16) {                                                              \
        const TYPE *block = w + r * k;                                                             \
        f32x16 acc[16];                                                                            \
        for (int j = 0; j < 16; j++) acc[j] = (f32x16){0};                                         \
        for (long i = 0; i < k; i += 16) {                                                         \
            f32x16 xv = load_f32(x + i);                                                           \
            for (int j = 0; j < 16; j++) acc[j] += xv * LOAD(block + j * k + i);                   \
        }                                                                                          \
        f32x16 sums = transpose_sum16(acc);                                                        \
        for (int j = 0; j < 16; j++) out[(r + j) * out_step] = sums[j];                            \
    }                                                                                              \
    for (; r < rows; r++) {                                                                        \
        const TYPE *wr = w + r * k;                                                                \
        f32x16 a = {0};                                                                            \
        for (long i = 0; i < k; i += 16) a += load_f32(x + i) * LOAD(wr + i);                      \
        out[r * out_step] = reduce(a);                                                             \
    }

// Long rows one at a time, four accumulators over 64-element steps: the weights stream through
// memory strictly in order (measured faster than sharing each x load across four rows, which
// interleaves four streams: bf16 30 → 38 GB/s on one core). PREFETCH reads a few KB ahead.
#define LONG_ROWS_BODY(LOAD, SCALAR, PREFETCH_BYTES)                                               \
    for (; r < rows; r++) {                                                                        \
        const TYPE *wr = w + r * k;                                                                \
        f32x16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};                                             \
        long i = 0;                                                                                \
        for (; i + 64 <= k; i += 64) {                                                             \
            if (PREFETCH_BYTES) __builtin_prefetch((const char *)(wr + i) + PREFETCH_BYTES);       \
            a0 += load_f32(x + i) * LOAD(wr + i);                                                  \
            a1 += load_f32(x + i + 16) * LOAD(wr + i + 16);                                        \
            a2 += load_f32(x + i + 32) * LOAD(wr + i + 32);                                        \
            a3 += load_f32(x + i + 48) * LOAD(wr + i + 48);                                        \
        }                                                                                          \
        for (; i + 16 <= k; i += 16) a0 += load_f32(x + i) * LOAD(wr + i);                         \
        float s = reduce((a0 + a1) + (a2 + a3));                                                   \
        for (; i < k; i++) s += x[i] * SCALAR(wr[i]);                                              \
        out[r * out_step] = s;                                                                     \
    }

#define MATVEC_BODY(LOAD, SCALAR, PREFETCH_BYTES)                                                  \
    long r = 0;                                                                                    \
    if (IS_SHORT(k)) {                                                                             \
        SHORT_ROWS_BODY(LOAD)                                                                      \
    } else {                                                                                       \
        LONG_ROWS_BODY(LOAD, SCALAR, PREFETCH_BYTES)                                               \
    }

// NT (1 ... 4, a constant after inlining) activation rows against one long weight row: the row is
// loaded once per step for all NT, each output accumulating exactly as LONG_ROWS_BODY does.
#define LONG_TILE_BODY(LOAD, SCALAR, PREFETCH_BYTES)                                               \
    f32x16 a0[4] = {{0}}, a1[4] = {{0}}, a2[4] = {{0}}, a3[4] = {{0}};                             \
    long i = 0;                                                                                    \
    for (; i + 64 <= k; i += 64) {                                                                 \
        if (PREFETCH_BYTES) __builtin_prefetch((const char *)(wr + i) + PREFETCH_BYTES);           \
        f32x16 w0 = LOAD(wr + i), w1 = LOAD(wr + i + 16), w2 = LOAD(wr + i + 32), w3 = LOAD(wr + i + 48); \
        for (int t = 0; t < NT; t++) {                                                             \
            const float *xt = x + t * x_stride + i;                                                \
            a0[t] += load_f32(xt) * w0;                                                            \
            a1[t] += load_f32(xt + 16) * w1;                                                       \
            a2[t] += load_f32(xt + 32) * w2;                                                       \
            a3[t] += load_f32(xt + 48) * w3;                                                       \
        }                                                                                          \
    }                                                                                              \
    for (; i + 16 <= k; i += 16) {                                                                 \
        f32x16 w0 = LOAD(wr + i);                                                                  \
        for (int t = 0; t < NT; t++) a0[t] += load_f32(x + t * x_stride + i) * w0;                 \
    }                                                                                              \
    for (int t = 0; t < NT; t++) {                                                                 \
        const float *xt = x + t * x_stride;                                                        \
        float s = reduce((a0[t] + a1[t]) + (a2[t] + a3[t]));                                       \
        for (long j = i; j < k; j++) s += xt[j] * SCALAR(wr[j]);                                   \
        out[t * out_stride] = s;                                                                   \
    }

static inline __attribute__((always_inline)) void tile_f32(
    const float *x, long x_stride, const float *wr, long k, float *out, long out_stride, const int NT) {
    LONG_TILE_BODY(load_f32, IDENTITY_SCALAR, 0)
}

static inline __attribute__((always_inline)) void tile_bf16(
    const float *x, long x_stride, const uint16_t *wr, long k, float *out, long out_stride, const int NT) {
    LONG_TILE_BODY(load_bf16, bf16_to_f32, 4096)
}

void minimax_matvec_f32(const float *x, const float *w, long k, long rows, float *out) {
    const long out_step = 1;
#define TYPE float
    MATVEC_BODY(load_f32, IDENTITY_SCALAR, 0)
#undef TYPE
}

void minimax_matvec_bf16(const float *x, const uint16_t *w, long k, long rows, float *out) {
    const long out_step = 1;
#define TYPE uint16_t
    MATVEC_BODY(load_bf16, bf16_to_f32, 4096)
#undef TYPE
}

// Many activation rows: short weights go through the one-row kernel per activation row (their
// block of sixteen rows stays in L1 across activation rows); long weight rows are read once for
// each tile of four activation rows.
#define MATVEC_ROWS_BODY(TYPE, ONE_ROW, TILE)                                                      \
    if (IS_SHORT(k) || x_rows == 1) {                                                                             \
        for (long t = 0; t < x_rows; t++) ONE_ROW(x + t * x_stride, w, k, rows, out + t * out_stride); \
        return;                                                                                    \
    }                                                                                              \
    for (long r = 0; r < rows; r++) {                                                              \
        const TYPE *wr = w + r * k;                                                                \
        long t = 0;                                                                                \
        for (; t + 4 <= x_rows; t += 4) TILE(x + t * x_stride, x_stride, wr, k, out + t * out_stride + r, out_stride, 4); \
        switch (x_rows - t) {                                                                      \
        case 3: TILE(x + t * x_stride, x_stride, wr, k, out + t * out_stride + r, out_stride, 3); break; \
        case 2: TILE(x + t * x_stride, x_stride, wr, k, out + t * out_stride + r, out_stride, 2); break; \
        case 1: TILE(x + t * x_stride, x_stride, wr, k, out + t * out_stride + r, out_stride, 1); break; \
        default: break;                                                                            \
        }                                                                                          \
    }

void minimax_matvec_rows_f32(
    const float *x, long x_rows, long x_stride, const float *w, long k, long rows, float *out, long out_stride) {
    MATVEC_ROWS_BODY(float, minimax_matvec_f32, tile_f32)
}

void minimax_matvec_rows_bf16(
    const float *x, long x_rows, long x_stride, const uint16_t *w, long k, long rows, float *out, long out_stride) {
    MATVEC_ROWS_BODY(uint16_t, minimax_matvec_bf16, tile_bf16)
}

float minimax_stream_sum(const float *p, long count) {
    f32x16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    long i = 0;
    for (; i + 64 <= count; i += 64) {
        a0 += load_f32(p + i);
        a1 += load_f32(p + i + 16);
        a2 += load_f32(p + i + 32);
        a3 += load_f32(p + i + 48);
    }
    float s = reduce((a0 + a1) + (a2 + a3));
    for (; i < count; i++) s += p[i];
    return s;
}
