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

AVX2_SPAN_DOT(AVXVNNI_TARGET, avxvnni_span_dot, _mm256_dpbusd_avx_epi32)

#define Q8ACT_ATTR AVXVNNI_TARGET
#define Q8ACT_SUFFIX avxvnni
#define q8act_span_dot avxvnni_span_dot
#include "q8act_rows_body.h"

#else  // not x86-64: `KernelPath` never selects these.

Q8ACT_TRAP_EXPORTS(avxvnni)

#endif
