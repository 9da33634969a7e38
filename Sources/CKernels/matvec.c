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

// Short rows (k a multiple of 16, at most SHORT_ROW elements: attention scores against a key page,
// the lightning state) are dominated by the horizontal sum at the end of each row. Sixteen rows —
// one contiguous block of memory — are summed at once instead, one accumulator per row, and reduced
// together by transpose_sum16.
#define SHORT_ROW 128
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
        memcpy(out + r, &sums, sizeof sums);                                                       \
    }

// One row at a time, four accumulators over 64-element steps: the weights stream through memory
// strictly in order (measured faster than sharing each x load across four rows, which interleaves
// four streams: bf16 30 → 38 GB/s on one core). PREFETCH reads a few KB ahead in the same stream.
#define MATVEC_BODY(LOAD, SCALAR, PREFETCH_BYTES)                                                  \
    long r = 0;                                                                                    \
    if (k % 16 == 0 && k <= SHORT_ROW) { SHORT_ROWS_BODY(LOAD) }                                   \
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
        out[r] = s;                                                                                \
    }

#define IDENTITY(v) (v)

void minimax_matvec_f32(const float *x, const float *w, long k, long rows, float *out) {
#define TYPE float
    MATVEC_BODY(load_f32, IDENTITY, 0)
#undef TYPE
}

void minimax_matvec_bf16(const float *x, const uint16_t *w, long k, long rows, float *out) {
#define TYPE uint16_t
    MATVEC_BODY(load_bf16, bf16_to_f32, 4096)
#undef TYPE
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
