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

/// vpmaddubsw's pair sums (within int16: see above), widened and paired by vpmaddwd.
#define AVX2_MADD(sum, unsigned_bytes, codes) \
    _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(unsigned_bytes, codes), _mm256_set1_epi16(1)))
AVX2_SPAN_DOT(AVX2_TARGET, avx2_span_dot, AVX2_MADD)

#define Q8ACT_ATTR AVX2_TARGET
#define Q8ACT_SUFFIX avx2
#define q8act_span_dot avx2_span_dot
#include "q8act_rows_body.h"

#else  // not x86-64: `KernelPath` never selects these.

Q8ACT_TRAP_EXPORTS(avx2)

#endif
