#include "CKernels.h"

// Register-only loops at an AVX-512 instruction's peak rate, the reference `minimax bench-kernels`
// gives the vector kernels' shares against (as the AMX tile loops are for the tiles): twelve
// independent accumulators, so neither the instruction's latency nor memory holds them back.

#if defined(__x86_64__)

#include <immintrin.h>

#define AVX512_TARGET(EXTRA) __attribute__((target("avx512f,avx512bw,avx512vl" EXTRA)))
#define PEAK_LOOP(STEP)                                                                                     \
    __m512i acc[12];                                                                                        \
    for (int j = 0; j < 12; j++) acc[j] = _mm512_set1_epi32(j);                                             \
    __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(5);                                               \
    for (long i = 0; i < iterations; i++) {                                                                 \
        for (int j = 0; j < 12; j++) acc[j] = STEP(acc[j], a, b);                                           \
        __asm__ volatile("" : "+v"(a), "+v"(b)); /* the operands may have changed: nothing is hoisted */  \
    }                                                                                                       \
    __m512i sum = acc[0];                                                                                   \
    for (int j = 1; j < 12; j++) sum = _mm512_xor_si512(sum, acc[j]);                                       \
    return _mm512_reduce_add_epi32(sum);

#define VPDPBUSD(c, a, b) _mm512_dpbusd_epi32(c, a, b)
#define VDPBF16PS(c, a, b) _mm512_castps_si512(_mm512_dpbf16_ps(_mm512_castsi512_ps(c), (__m512bh)(a), (__m512bh)(b)))
#define VFMADD(c, a, b) _mm512_castps_si512(_mm512_fmadd_ps(_mm512_castsi512_ps(a), _mm512_castsi512_ps(b), _mm512_castsi512_ps(c)))

AVX512_TARGET(",avx512vnni") static int vpdpbusd_loop(long iterations) { PEAK_LOOP(VPDPBUSD) }
AVX512_TARGET(",avx512bf16") static int vdpbf16ps_loop(long iterations) { PEAK_LOOP(VDPBF16PS) }
AVX512_TARGET("") static int fma_loop(long iterations) { PEAK_LOOP(VFMADD) }

int minimax_vector_peak_loop(int kind, long iterations) {
    switch (kind) {
    case MINIMAX_PEAK_VPDPBUSD: return vpdpbusd_loop(iterations);
    case MINIMAX_PEAK_VDPBF16PS: return vdpbf16ps_loop(iterations);
    default: return fma_loop(iterations);
    }
}

#else  // not x86-64: bench-kernels never asks.

int minimax_vector_peak_loop(int kind, long iterations) {
    (void)kind; (void)iterations;
    __builtin_trap();
}

#endif

long minimax_vector_peak_operations(int kind) {
    // twelve instructions, each 16 lanes of: 4 byte products (vpdpbusd), 2 bf16 products
    // (vdpbf16ps), or 1 fp32 product (fma); a multiply-add counts two operations
    const long per_lane = kind == MINIMAX_PEAK_VPDPBUSD ? 4 : kind == MINIMAX_PEAK_VDPBF16PS ? 2 : 1;
    return 12 * 16 * per_lane * 2;
}
