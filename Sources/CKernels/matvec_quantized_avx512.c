#include "CKernels.h"
#include "quantized.h"

// The AVX-512 quantized matrix-vector kernels: the portable kernels' arithmetic written with
// intrinsics (sign/zero-extending loads, explicit FMAs), compiled for AVX512F/BW/VL whatever the
// package's -march; Swift's `KernelPath` calls them only where the CPU and OS have AVX-512.

#if defined(__x86_64__)

#include <immintrin.h>

#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#define ALWAYS_INLINE __attribute__((always_inline)) inline

// int8, when the scale groups are a multiple of 32 long (per-row scales always are, for k a
// multiple of 32): 32 codes per step into two accumulators per activation row (the first and second
// 16), so consecutive FMAs do not wait on each other; the two are added before the horizontal sum.
// Otherwise one accumulator, 16 codes per step. Either way the order depends on k and the group only.
AVX512_TARGET static ALWAYS_INLINE void q8_row(
    const float *x, long x_stride, const int nt, const int8_t *row, const uint16_t *scales, long group, long k,
    float *out, long out_stride) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    __m512 second[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    __m512 scale;
#define GROUP(g) scale = _mm512_set1_ps(bf16_scalar(scales[g]));
#define WIDEN(p) _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p)))), scale)
    long done;  // where the vector steps stopped; the rest is the scalar tail
    if (group % 32 == 0) {
#define STEP_BODY                                                                                  \
        __m512 w0 = WIDEN(row + i), w1 = WIDEN(row + i + 16);                                      \
        for (int t = 0; t < nt; t++) {                                                             \
            acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(x + t * x_stride + i), w0, acc[t]);           \
            second[t] = _mm512_fmadd_ps(_mm512_loadu_ps(x + t * x_stride + i + 16), w1, second[t]); \
        }
        GROUPED_STEPS(32, GROUP, STEP_BODY)
#undef STEP_BODY
        done = i;
        for (int t = 0; t < nt; t++) acc[t] = _mm512_add_ps(acc[t], second[t]);
    } else {
#define STEP_BODY                                                                                  \
        __m512 w = WIDEN(row + i);                                                                 \
        for (int t = 0; t < nt; t++) acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(x + t * x_stride + i), w, acc[t]);
        GROUPED_STEPS(16, GROUP, STEP_BODY)
#undef STEP_BODY
        done = i;
    }
#undef WIDEN
#undef GROUP
    for (int t = 0; t < nt; t++) {
        float s = _mm512_reduce_add_ps(acc[t]);
        for (long j = done; j < k; j++) s += x[t * x_stride + j] * q8_value(row, scales, group, j);
        out[t * out_stride] = s;
    }
}

AVX512_TARGET static ALWAYS_INLINE void q4_row(
    const float *x, long x_stride, const int nt, const uint8_t *row, const uint16_t *scales, const uint16_t *mins,
    long group, long k, float *out, long out_stride) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    const __m512i low_nibble = _mm512_set1_epi32(15);
    __m512 scale, min;
#define GROUP(g)                                                                                   \
    scale = _mm512_set1_ps(bf16_scalar(scales[g]));                                                \
    min = _mm512_set1_ps(bf16_scalar(mins[g]));
#define STEP_BODY                                                                                  \
    __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(row + i / 2)));          \
    __m512 w0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(bytes, low_nibble)), scale, min); \
    __m512 w1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(bytes, 4)), scale, min);      \
    for (int t = 0; t < nt; t++) {                                                                 \
        acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(x + t * x_stride + i), w0, acc[t]);               \
        acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(x + t * x_stride + i + 16), w1, acc[t]);          \
    }
    GROUPED_STEPS(32, GROUP, STEP_BODY)
#undef GROUP
#undef STEP_BODY
    for (int t = 0; t < nt; t++) {
        float s = _mm512_reduce_add_ps(acc[t]);
        for (long j = i; j < k; j++) s += x[t * x_stride + j] * q4_value(row, scales, mins, group, k, j);
        out[t * out_stride] = s;
    }
}

AVX512_TARGET void minimax_matvec_rows_q8_avx512(
    const float *x, long x_rows, long x_stride, const int8_t *codes, const uint16_t *scales, long group, long k,
    long rows, float *out, long out_stride) {
    const long groups = (k + group - 1) / group;
#define ROW(nt) q8_row(xt, x_stride, nt, codes + r * k, scales + r * groups, group, k, o, out_stride)
    QUANTIZED_ROWS_LOOP(ROW)
#undef ROW
}

AVX512_TARGET void minimax_matvec_rows_q4_avx512(
    const float *x, long x_rows, long x_stride, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long k, long rows, float *out, long out_stride) {
    const long groups = (k + group - 1) / group, row_bytes = (k + 1) / 2;
#define ROW(nt) \
    q4_row(xt, x_stride, nt, codes + r * row_bytes, scales + r * groups, mins + r * groups, group, k, o, out_stride)
    QUANTIZED_ROWS_LOOP(ROW)
#undef ROW
}

#else  // not x86-64: `KernelPath` never selects these.

void minimax_matvec_rows_q8_avx512(
    const float *x, long x_rows, long x_stride, const int8_t *codes, const uint16_t *scales, long group, long k,
    long rows, float *out, long out_stride) {
    (void)x; (void)x_rows; (void)x_stride; (void)codes; (void)scales; (void)group; (void)k; (void)rows; (void)out;
    (void)out_stride;
    __builtin_trap();
}

void minimax_matvec_rows_q4_avx512(
    const float *x, long x_rows, long x_stride, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long k, long rows, float *out, long out_stride) {
    (void)x; (void)x_rows; (void)x_stride; (void)codes; (void)scales; (void)mins; (void)group; (void)k; (void)rows;
    (void)out; (void)out_stride;
    __builtin_trap();
}

#endif
