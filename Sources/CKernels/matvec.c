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

#define MATVEC_BODY(LOAD, SCALAR)                                                                  \
    long r = 0;                                                                                    \
    for (; r + 4 <= rows; r += 4) {                                                                \
        const TYPE *w0 = w + r * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;                      \
        f32x16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};                                             \
        long i = 0;                                                                                \
        for (; i + 16 <= k; i += 16) {                                                             \
            f32x16 xv = load_f32(x + i);                                                           \
            a0 += xv * LOAD(w0 + i);                                                               \
            a1 += xv * LOAD(w1 + i);                                                               \
            a2 += xv * LOAD(w2 + i);                                                               \
            a3 += xv * LOAD(w3 + i);                                                               \
        }                                                                                          \
        float s0 = reduce(a0), s1 = reduce(a1), s2 = reduce(a2), s3 = reduce(a3);                  \
        for (; i < k; i++) {                                                                       \
            s0 += x[i] * SCALAR(w0[i]);                                                            \
            s1 += x[i] * SCALAR(w1[i]);                                                            \
            s2 += x[i] * SCALAR(w2[i]);                                                            \
            s3 += x[i] * SCALAR(w3[i]);                                                            \
        }                                                                                          \
        out[r] = s0; out[r + 1] = s1; out[r + 2] = s2; out[r + 3] = s3;                            \
    }                                                                                              \
    for (; r < rows; r++) {                                                                        \
        const TYPE *w0 = w + r * k;                                                                \
        f32x16 a0 = {0};                                                                           \
        long i = 0;                                                                                \
        for (; i + 16 <= k; i += 16) a0 += load_f32(x + i) * LOAD(w0 + i);                         \
        float s0 = reduce(a0);                                                                     \
        for (; i < k; i++) s0 += x[i] * SCALAR(w0[i]);                                             \
        out[r] = s0;                                                                               \
    }

#define IDENTITY(v) (v)

void minimax_matvec_f32(const float *x, const float *w, long k, long rows, float *out) {
#define TYPE float
    MATVEC_BODY(load_f32, IDENTITY)
#undef TYPE
}

void minimax_matvec_bf16(const float *x, const uint16_t *w, long k, long rows, float *out) {
#define TYPE uint16_t
    MATVEC_BODY(load_bf16, bf16_to_f32)
#undef TYPE
}
