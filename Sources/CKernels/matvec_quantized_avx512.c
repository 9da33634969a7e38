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

AVX512_TARGET static ALWAYS_INLINE __m512 bf16x16_to_f32(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// q4: each group's sixteen possible weights (code · scale + min, the portable kernel's arithmetic)
// are computed once into one register, and a step looks its 32 weights up with two permutes (which
// read only the low four bits of each index, so the high nibble needs a shift and no mask). The
// first and second 16 of a step go to separate accumulators, so consecutive FMAs do not wait on
// each other; the two are added before the horizontal sum.
#define Q4_STEP(i, table, acc, second)                                                             \
    {                                                                                              \
        __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(row + (i) / 2)));    \
        __m512 w0 = _mm512_permutexvar_ps(bytes, table);                                           \
        __m512 w1 = _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), table);                     \
        for (int t = 0; t < nt; t++) {                                                             \
            acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(x + t * x_stride + (i)), w0, acc[t]);         \
            second[t] = _mm512_fmadd_ps(_mm512_loadu_ps(x + t * x_stride + (i) + 16), w1, second[t]); \
        }                                                                                          \
    }

AVX512_TARGET static ALWAYS_INLINE void q4_row(
    const float *x, long x_stride, const int nt, const uint8_t *row, const uint16_t *scales, const uint16_t *mins,
    long group, long k, float *out, long out_stride) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    __m512 second[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    const __m512 codes = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    long done;  // where the vector steps stopped; the rest is the scalar tail
    if (group == 32) {
        // The default scheme, one step per group, sixteen groups (512 elements) per block: their
        // scales and minimums are widened to fp32 in two registers, and each step broadcasts its
        // pair from them. Odd groups accumulate into a second pair of registers (one FMA per
        // accumulator per group would wait on the FMA's latency), added to the first at the end.
        // The last partial block goes group by group.
        __m512 odd[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        __m512 odd_second[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        const long steps = k / 32, blocks = steps / 16;
        for (long b = 0; b < blocks; b++) {
            const __m512 scale16 = bf16x16_to_f32(_mm256_loadu_si256((const __m256i *)(scales + 16 * b)));
            const __m512 min16 = bf16x16_to_f32(_mm256_loadu_si256((const __m256i *)(mins + 16 * b)));
#pragma clang loop unroll(full)
            for (int j = 0; j < 16; j += 2) {
                const __m512i even_lane = _mm512_set1_epi32(j), odd_lane = _mm512_set1_epi32(j + 1);
                const __m512 even_table = _mm512_fmadd_ps(
                    codes, _mm512_permutexvar_ps(even_lane, scale16), _mm512_permutexvar_ps(even_lane, min16));
                const __m512 odd_table = _mm512_fmadd_ps(
                    codes, _mm512_permutexvar_ps(odd_lane, scale16), _mm512_permutexvar_ps(odd_lane, min16));
                Q4_STEP((16 * b + j) * 32, even_table, acc, second)
                Q4_STEP((16 * b + j + 1) * 32, odd_table, odd, odd_second)
            }
        }
        for (long g = 16 * blocks; g < steps; g++) {
            const __m512 table = _mm512_fmadd_ps(codes, _mm512_set1_ps(bf16_scalar(scales[g])), _mm512_set1_ps(bf16_scalar(mins[g])));
            Q4_STEP(g * 32, table, acc, second)
        }
        for (int t = 0; t < nt; t++) {
            acc[t] = _mm512_add_ps(acc[t], odd[t]);
            second[t] = _mm512_add_ps(second[t], odd_second[t]);
        }
        done = steps * 32;
    } else {
        __m512 table;
#define GROUP(g)                                                                                   \
        table = _mm512_fmadd_ps(codes, _mm512_set1_ps(bf16_scalar(scales[g])), _mm512_set1_ps(bf16_scalar(mins[g])));
#define STEP_BODY Q4_STEP(i, table, acc, second)
        GROUPED_STEPS(32, GROUP, STEP_BODY)
#undef GROUP
#undef STEP_BODY
        done = i;
    }
    for (int t = 0; t < nt; t++) {
        float s = _mm512_reduce_add_ps(_mm512_add_ps(acc[t], second[t]));
        for (long j = done; j < k; j++) s += x[t * x_stride + j] * q4_value(row, scales, mins, group, k, j);
        out[t * out_stride] = s;
    }
}
#undef Q4_STEP

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
