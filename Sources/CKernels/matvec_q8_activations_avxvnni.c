#include "CKernels.h"
#include "q8act_spans.h"

// The int8-activation products on AVX-VNNI (`vpdpbusd` on 256-bit registers: Intel client CPUs
// from Alder Lake on, which have no AVX-512): the AVX2 kernel's spans (q8act_avx2_spans.h) with
// each four-byte dot in one instruction instead of `vpmaddubsw` + `vpmaddwd` + `vpaddd`. It
// multiplies unsigned by signed bytes into exact int32 sums (no saturation), so the weights go in
// as the AVX2 kernel has them (int8 as |w| with the signs on the activations, q4 nibbles as they
// are) and the rows are the portable twin's (q8act_rows_body.h): the same bits as the twin.

#pragma clang fp contract(off)

#if defined(__x86_64__)

#include "q8act_avx2_spans.h"

#define AVXVNNI_TARGET __attribute__((target("avx2,fma,avxvnni")))

AVXVNNI_TARGET static inline __attribute__((always_inline)) i32x16 avxvnni_span_dot(const avx2_span_weights *w, const uint8_t *a, int layout) {
    __m256i sum[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int n = 0; n < 8; n++) {
        for (int h = 0; h < 2; h++) {
            __m256i codes = _mm256_loadu_si256((const __m256i *)(const void *)(a + 64 * n + 32 * h));
            if (layout == MINIMAX_Q8_LAYOUT_INT8) codes = _mm256_sign_epi8(codes, w->signs[n][h]);
            sum[h] = _mm256_dpbusd_avx_epi32(sum[h], w->unsigned_bytes[n][h], codes);
        }
    }
    i32x16 isum;
    memcpy(&isum, &sum[0], 32);
    memcpy((char *)&isum + 32, &sum[1], 32);
    return isum;
}

#define Q8ACT_ATTR AVXVNNI_TARGET
#define Q8ACT_SUFFIX avxvnni
#define Q8ACT_WEIGHTS avx2_span_weights
#define q8act_int8_span avx2_int8_span
#define q8act_q4_span avx2_q4_span
#define q8act_span_dot avxvnni_span_dot
#include "q8act_rows_body.h"

#else  // not x86-64: `KernelPath` never selects these.

Q8ACT_TRAP_EXPORTS(avxvnni)

#endif
