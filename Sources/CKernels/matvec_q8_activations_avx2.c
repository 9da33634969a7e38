#include "CKernels.h"
#include "q8act_spans.h"

// The int8-activation products on AVX2 (CPUs without AVX-512 VNNI): the portable twin's rows
// (q8act_rows_body.h) with the integer dots on `vpmaddubsw` + `vpmaddwd`, which give each dword
// lane the sum of its four byte products, as `vpdpbusd` does. `vpmaddubsw` multiplies unsigned by
// signed bytes and saturates its pair sums to int16, so int8 weights go in as |w| with the
// activations' signs flipped where w < 0 (`vpsignb`): |w| ≤ 128 and |a| ≤ 127 keep a pair within
// 32512. q4 nibbles (0…15) are unsigned already. The dots are exact integers and the float
// operations are the twin's, so the results are the twin's bits.

#pragma clang fp contract(off)

#if defined(__x86_64__)

#include "q8act_avx2_spans.h"

AVX2_TARGET static inline __attribute__((always_inline)) i32x16 avx2_span_dot(const avx2_span_weights *w, const uint8_t *a, int layout) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i sum[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int n = 0; n < 8; n++) {
        for (int h = 0; h < 2; h++) {
            __m256i codes = _mm256_loadu_si256((const __m256i *)(const void *)(a + 64 * n + 32 * h));
            if (layout == MINIMAX_Q8_LAYOUT_INT8) codes = _mm256_sign_epi8(codes, w->signs[n][h]);
            const __m256i pairs = _mm256_maddubs_epi16(w->unsigned_bytes[n][h], codes);
            sum[h] = _mm256_add_epi32(sum[h], _mm256_madd_epi16(pairs, ones));
        }
    }
    i32x16 isum;
    memcpy(&isum, &sum[0], 32);
    memcpy((char *)&isum + 32, &sum[1], 32);
    return isum;
}

#define Q8ACT_ATTR AVX2_TARGET
#define Q8ACT_SUFFIX avx2
#define Q8ACT_WEIGHTS avx2_span_weights
#define q8act_int8_span avx2_int8_span
#define q8act_q4_span avx2_q4_span
#define q8act_span_dot avx2_span_dot
#include "q8act_rows_body.h"

#else  // not x86-64: `KernelPath` never selects these.

Q8ACT_TRAP_EXPORTS(avx2)

#endif
