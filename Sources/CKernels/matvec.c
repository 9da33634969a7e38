#include "CKernels.h"
#include "vector.h"

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

// Every kernel here computes each output (activation row t, weight row r) in one fixed order that
// depends only on k — never on how many rows or activations share the call, where the call's range
// starts, or the thread count — so a sequence's results do not depend on its batch: one accumulator
// over 16-element steps in k order, the shuffle-tree horizontal sum (`reduce`), then the scalar tail.
#define SHORT_ROW 128
#define IDENTITY_SCALAR(v) (v)

// One row's tail after its 16-element steps.
#define TAIL(s, xr, wr, i, SCALAR) for (long j_ = (i); j_ < k; j_++) (s) += (xr)[j_] * SCALAR((wr)[j_]);

// One activation row.
// Short rows (k a multiple of 16, at most SHORT_ROW: attention scores against a key page, the
// lightning state) are dominated by the horizontal sum, so sixteen rows — one contiguous block of
// memory — are summed at once and reduced together by transpose_sum16 (the same additions as
// `reduce`, lane for lane). Long rows go one at a time, so the weights stream through memory in one
// sequential run (measured on Zen 4, bf16, 2 threads: ~40 GB/s; two rows interleaved ~25 GB/s, and
// software prefetching made every variant slower there).
#define MATVEC_BODY(LOAD, SCALAR)                                                  \
    long r = 0;                                                                                    \
    if (k % 16 == 0 && k <= SHORT_ROW) {                                                           \
        for (; r + 16 <= rows; r += 16) {                                                          \
            const TYPE *block = w + r * k;                                                         \
            f32x16 acc[16];                                                                        \
            for (int j = 0; j < 16; j++) acc[j] = (f32x16){0};                                     \
            for (long i = 0; i < k; i += 16) {                                                     \
                f32x16 xv = load_f32(x + i);                                                       \
                for (int j = 0; j < 16; j++) acc[j] += xv * LOAD(block + j * k + i);               \
            }                                                                                      \
            f32x16 sums = transpose_sum16(acc);                                                    \
            memcpy(out + r, &sums, sizeof sums);                                                   \
        }                                                                                          \
    }                                                                                              \
    for (; r < rows; r++) {                                                                        \
        const TYPE *wr = w + r * k;                                                                \
        f32x16 a = {0};                                                                            \
        long i = 0;                                                                                \
        for (; i + 16 <= k; i += 16) a += load_f32(x + i) * LOAD(wr + i);                          \
        float s = reduce(a);                                                                       \
        TAIL(s, x, wr, i, SCALAR)                                                                  \
        out[r] = s;                                                                                \
    }

void minimax_matvec_f32(const float *x, const float *w, long k, long rows, float *out) {
#define TYPE float
    MATVEC_BODY(load_f32, IDENTITY_SCALAR)
#undef TYPE
}

void minimax_matvec_bf16(const float *x, const uint16_t *w, long k, long rows, float *out) {
#define TYPE uint16_t
    MATVEC_BODY(load_bf16, bf16_to_f32)
#undef TYPE
}

// Many activation rows: tiles of NT activation rows × NR weight rows (each at most 4, constants
// after inlining), sixteen accumulators in registers: per 16-element step, NR weight loads and NT
// activation loads feed NT·NR multiply-adds. Each output accumulates exactly as above.
#define TILE_BODY(LOAD, SCALAR)                                                                    \
    f32x16 acc[4][4];                                                                              \
    for (int t = 0; t < 4; t++)                                                                    \
        for (int j = 0; j < 4; j++) acc[t][j] = (f32x16){0};                                       \
    long i = 0;                                                                                    \
    for (; i + 16 <= k; i += 16) {                                                                 \
        f32x16 wv[4];                                                                              \
        for (int j = 0; j < NR; j++) wv[j] = LOAD(w + j * k + i);                                  \
        for (int t = 0; t < NT; t++) {                                                             \
            f32x16 xv = load_f32(x + t * x_stride + i);                                            \
            for (int j = 0; j < NR; j++) acc[t][j] += xv * wv[j];                                  \
        }                                                                                          \
    }                                                                                              \
    for (int t = 0; t < NT; t++)                                                                   \
        for (int j = 0; j < NR; j++) {                                                             \
            float s = reduce(acc[t][j]);                                                           \
            TAIL(s, x + t * x_stride, w + j * k, i, SCALAR)                                        \
            out[t * out_stride + j] = s;                                                           \
        }

static inline __attribute__((always_inline)) void tile_f32(
    const float *x, long x_stride, const float *w, long k, float *out, long out_stride, const int NT, const int NR) {
    TILE_BODY(load_f32, IDENTITY_SCALAR)
}

static inline __attribute__((always_inline)) void tile_bf16(
    const float *x, long x_stride, const uint16_t *w, long k, float *out, long out_stride, const int NT, const int NR) {
    TILE_BODY(load_bf16, bf16_to_f32)
}

// Dispatches a tile of nt × nr (1 ... 4 each) to its constant-size instance.
#define TILE_CASES(TILE, NR)                                                                       \
    switch (nt) {                                                                                  \
    case 4: TILE(xt, x_stride, wr, k, o, out_stride, 4, NR); break;                                \
    case 3: TILE(xt, x_stride, wr, k, o, out_stride, 3, NR); break;                                \
    case 2: TILE(xt, x_stride, wr, k, o, out_stride, 2, NR); break;                                \
    default: TILE(xt, x_stride, wr, k, o, out_stride, 1, NR); break;                               \
    }

// A few activation rows (at most 4: an expert's share of a decode step) take one weight row at a
// time in pairs of activation rows, so the weights stream in one sequential run; more take 4 × 4
// tiles, trading that for arithmetic density. Measured on Zen 4, 2 threads, bf16 weights from DRAM:
// 2 rows 27 GB/s one weight row at a time vs 16 GB/s four at a time; 16-32 rows 110-140 GFLOP/s in
// 4 × 4 tiles vs 70-90 in pairs.
#define MATVEC_ROWS_BODY(TYPE, ONE_ROW, TILE)                                                      \
    if (x_rows == 1) {                                                                             \
        ONE_ROW(x, w, k, rows, out);                                                               \
        return;                                                                                    \
    }                                                                                              \
    if (x_rows <= 4) {                                                                             \
        for (long r = 0; r < rows; r++) {                                                          \
            const TYPE *wr = w + r * k;                                                            \
            for (long t = 0; t < x_rows; t += 2) {                                                 \
                const float *xt = x + t * x_stride;                                                \
                float *o = out + t * out_stride + r;                                               \
                if (t + 2 <= x_rows) TILE(xt, x_stride, wr, k, o, out_stride, 2, 1);               \
                else TILE(xt, x_stride, wr, k, o, out_stride, 1, 1);                               \
            }                                                                                      \
        }                                                                                          \
        return;                                                                                    \
    }                                                                                              \
    for (long r = 0; r < rows; r += 4) {                                                           \
        const TYPE *wr = w + r * k;                                                                \
        int nr = rows - r < 4 ? (int)(rows - r) : 4;                                               \
        for (long t = 0; t < x_rows; t += 4) {                                                     \
            int nt = x_rows - t < 4 ? (int)(x_rows - t) : 4;                                       \
            const float *xt = x + t * x_stride;                                                    \
            float *o = out + t * out_stride + r;                                                   \
            switch (nr) {                                                                          \
            case 4: TILE_CASES(TILE, 4) break;                                                     \
            case 3: TILE_CASES(TILE, 3) break;                                                     \
            case 2: TILE_CASES(TILE, 2) break;                                                     \
            default: TILE_CASES(TILE, 1) break;                                                    \
            }                                                                                      \
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
