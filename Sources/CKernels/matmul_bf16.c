#include "CKernels.h"

// The bf16 × bf16 matrix product on AVX512_BF16's `vdpbf16ps`: each 32-bit lane of the
// accumulator gains the two products of a pair of bf16 values in fp32, twice the multiply-adds per
// instruction of an fp32 FMA. The products are exact in fp32; the lane adds the odd-index product,
// then the even one, rounding each time (Intel SDM pseudo-code; Zen 5 measured to match), with
// denormal inputs read as zero.
//
// Data layout (K is padded to an even length with a zero, P = ⌈K/2⌉ pairs):
//   activations: [⌈T/8⌉, P, 8] words — word (t / 8, p, t % 8) is (bf16 x[t, 2p], bf16 x[t, 2p+1]),
//     low half first, so the micro-kernel's 8 rows are one 32-byte run per pair;
//   weight panel: [P', 32] words — word (pp, j) is (W[n0+j, 2p], W[n0+j, 2p+1]) for p = p0 + pp,
//     so one 64-byte load holds the pairs of 16 consecutive output columns.
// A bf16 row is already pair-interleaved in memory, so packing is a 32-bit transpose.
//
// The intrinsics are compiled for AVX-512 + BF16 whatever the package's -march, and callers check
// `minimax_cpu_features()` (through Swift's `KernelPath`) first. Other targets get stubs that trap.

#if defined(__x86_64__)

#include <immintrin.h>

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define ALWAYS_INLINE __attribute__((always_inline)) inline


/// In-register transpose of a 16 × 16 block of 32-bit words: r[i][j] → r[j][i].
BF16_TARGET static ALWAYS_INLINE void transpose16(__m512i r[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    // u[4i + c], 128-bit lane L: rows 4i..4i+3 of column 4L + c.
    for (int i = 0; i < 4; i++) {
        u[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int c = 0; c < 4; c++) {
        __m512i v0 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x88), v1 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xDD);
        __m512i v2 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x88), v3 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xDD);
        r[c] = _mm512_shuffle_i32x4(v0, v2, 0x88);
        r[8 + c] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
        r[4 + c] = _mm512_shuffle_i32x4(v1, v3, 0x88);
        r[12 + c] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
    }
}

/// Sixteen fp32 values from src[i...] rounded to bf16, zeros from index `limit` on.
BF16_TARGET static ALWAYS_INLINE __m256bh round16(const float *src, long i, long limit) {
    long n = limit - i;
    __mmask16 mask = n >= 16 ? 0xFFFF : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
    return _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src + i));
}

BF16_TARGET void minimax_bf16_pack_activations(const float *x, long rows, long k, uint32_t *dst) {
    const long pairs = (k + 1) / 2;
    for (long t0 = 0; t0 < rows; t0 += MINIMAX_BF16_ROWS) {
        uint32_t *tile = dst + t0 * pairs;  // tile t0 / ROWS is [pairs, ROWS]
        for (long p0 = 0; p0 < pairs; p0 += 32) {
            // r[i] and r[8 + i]: row t0 + i at pairs p0..p0+15 and p0+16..p0+31 (zero past the end).
            __m512i r[16];
            for (int i = 0; i < 8; i++) {
                if (t0 + i < rows) {
                    const float *src = x + (t0 + i) * k;
                    long e = 2 * p0;
                    r[i] = _mm512_inserti64x4(_mm512_castsi256_si512((__m256i)round16(src, e, k)),
                                              (__m256i)round16(src, e + 16, k), 1);
                    r[8 + i] = _mm512_inserti64x4(_mm512_castsi256_si512((__m256i)round16(src, e + 32, k)),
                                                  (__m256i)round16(src, e + 48, k), 1);
                } else {
                    r[i] = r[8 + i] = _mm512_setzero_si512();
                }
            }
            // After the transpose r[j] holds rows 0..7 at pair p0 + j, then at pair p0 + 16 + j.
            transpose16(r);
            for (int j = 0; j < 16; j++) {
                if (p0 + j < pairs)
                    _mm256_storeu_si256((__m256i *)(tile + (p0 + j) * MINIMAX_BF16_ROWS), _mm512_castsi512_si256(r[j]));
                if (p0 + 16 + j < pairs)
                    _mm256_storeu_si256((__m256i *)(tile + (p0 + 16 + j) * MINIMAX_BF16_ROWS),
                                        _mm512_extracti64x4_epi64(r[j], 1));
            }
        }
    }
}

BF16_TARGET void minimax_amx_bf16_pack_activations_avx512(const float *x, long rows, long k, uint32_t *dst) {
    const long pairs = (k + 31) / 32 * 16, padded_rows = (rows + 31) / 32 * 32;
    for (long t0 = 0; t0 < padded_rows; t0 += 16) {
        uint32_t *tile = dst + t0 * pairs;  // tile t0 / 16 is [pairs, 16]
        for (long p0 = 0; p0 < pairs; p0 += 16) {
            // r[i]: row t0 + i at pairs p0..p0+15 (zero past k and past the rows).
            __m512i r[16];
            for (int i = 0; i < 16; i++) {
                if (t0 + i < rows) {
                    const float *src = x + (t0 + i) * k;
                    r[i] = _mm512_inserti64x4(_mm512_castsi256_si512((__m256i)round16(src, 2 * p0, k)),
                                              (__m256i)round16(src, 2 * p0 + 16, k), 1);
                } else {
                    r[i] = _mm512_setzero_si512();
                }
            }
            transpose16(r);  // r[j]: the 16 rows at pair p0 + j
            for (int j = 0; j < 16; j++) _mm512_storeu_si512(tile + (p0 + j) * 16, r[j]);
        }
    }
}

BF16_TARGET void minimax_bf16_pack_panel(
    const uint16_t *w, long k, long width, long first_pair, long pairs, uint32_t *panel) {
    // Pairs [0, full) lie wholly inside the rows; an odd K's last pair has a zero high half.
    long full = k / 2 - first_pair;
    if (full > pairs) full = pairs;
    long done = 0;  // pairs packed by the vector path, for every column
    for (long j0 = 0; j0 < MINIMAX_BF16_COLUMNS; j0 += 16) {
        if (j0 + 16 > width) break;
        long pp = 0;
        for (; pp + 16 <= full; pp += 16) {
            __m512i r[16];
            for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_si512(w + (j0 + j) * k + 2 * (first_pair + pp));
            transpose16(r);
            for (int i = 0; i < 16; i++) _mm512_store_si512(panel + (pp + i) * MINIMAX_BF16_COLUMNS + j0, r[i]);
        }
        done = pp;
    }
    // What the vector path left: columns it skipped (all pairs) and the pair tail (all columns).
    long vector_columns = width >= 32 ? 32 : width >= 16 ? 16 : 0;
    for (long pp = 0; pp < pairs; pp++) {
        long start = pp < done ? vector_columns : 0;
        for (long j = start; j < MINIMAX_BF16_COLUMNS; j++) {
            uint32_t word = 0;
            if (j < width) {
                const uint16_t *p = w + j * k + 2 * (first_pair + pp);
                word = pp < full ? (uint32_t)p[0] | (uint32_t)p[1] << 16 : p[0];
            }
            panel[pp * MINIMAX_BF16_COLUMNS + j] = word;
        }
    }
}

/// `rows` (≤ MINIMAX_BF16_ROWS, a constant once inlined) rows × 32 columns over `pairs` pairs.
BF16_TARGET static ALWAYS_INLINE void tile(
    const uint32_t *x, const int rows, const uint32_t *panel, long pairs,
    float *out, long out_stride, __mmask16 mask0, __mmask16 mask1, int accumulate, minimax_prefetch_cursor *pf) {
    __m512 acc[MINIMAX_BF16_ROWS][2];
    for (int r = 0; r < rows; r++) {
        if (accumulate) {
            acc[r][0] = _mm512_maskz_loadu_ps(mask0, out + r * out_stride);
            acc[r][1] = _mm512_maskz_loadu_ps(mask1, out + r * out_stride + 16);
        } else {
            acc[r][0] = _mm512_setzero_ps();
            acc[r][1] = _mm512_setzero_ps();
        }
    }
    for (long p = 0; p < pairs; p++) {
        // The packed rows stream from L3 when T·K is large; fetch 2 KB ahead (never faults).
        _mm_prefetch((const char *)(x + (p + 64) * MINIMAX_BF16_ROWS), _MM_HINT_T0);
        minimax_prefetch_advance(pf);
        __m512bh w0 = (__m512bh)_mm512_load_si512(panel + p * MINIMAX_BF16_COLUMNS);
        __m512bh w1 = (__m512bh)_mm512_load_si512(panel + p * MINIMAX_BF16_COLUMNS + 16);
        for (int r = 0; r < rows; r++) {
            __m512bh a = (__m512bh)_mm512_set1_epi32((int)x[p * MINIMAX_BF16_ROWS + r]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, w0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, w1);
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm512_mask_storeu_ps(out + r * out_stride, mask0, acc[r][0]);
        _mm512_mask_storeu_ps(out + r * out_stride + 16, mask1, acc[r][1]);
    }
}

BF16_TARGET void minimax_bf16_dot_panel(
    const uint32_t *x, long x_pairs, long rows, const uint32_t *panel, long pairs,
    float *out, long out_stride, long width, int accumulate) {
    minimax_bf16_dot_panel_prefetching(x, x_pairs, rows, panel, pairs, out, out_stride, width, accumulate, NULL);
}

BF16_TARGET void minimax_bf16_dot_panel_prefetching(
    const uint32_t *x, long x_pairs, long rows, const uint32_t *panel, long pairs,
    float *out, long out_stride, long width, int accumulate, const minimax_prefetch_rows *next) {
    minimax_prefetch_cursor pf = minimax_prefetch_start(next, (rows + MINIMAX_BF16_ROWS - 1) / MINIMAX_BF16_ROWS * pairs);
    __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
    __mmask16 mask1 = width >= 32 ? 0xFFFF : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);
    long t = 0;
    for (; t + MINIMAX_BF16_ROWS <= rows; t += MINIMAX_BF16_ROWS)
        tile(x + t * x_pairs, MINIMAX_BF16_ROWS, panel, pairs, out + t * out_stride, out_stride, mask0, mask1, accumulate,
             &pf);
    const uint32_t *xt = x + t * x_pairs;
    float *ot = out + t * out_stride;
    switch (rows - t) {
#define TAIL(n) case n: tile(xt, n, panel, pairs, ot, out_stride, mask0, mask1, accumulate, &pf); break;
        TAIL(1) TAIL(2) TAIL(3) TAIL(4) TAIL(5) TAIL(6) TAIL(7)
#undef TAIL
        default: break;
    }
}

#else  // not x86-64: no vdpbf16ps; Swift's `KernelPath` never selects these.

void minimax_bf16_pack_activations(const float *x, long rows, long k, uint32_t *dst) {
    (void)x; (void)rows; (void)k; (void)dst;
    __builtin_trap();
}

void minimax_amx_bf16_pack_activations_avx512(const float *x, long rows, long k, uint32_t *dst) {
    (void)x; (void)rows; (void)k; (void)dst;
    __builtin_trap();
}

void minimax_bf16_pack_panel(const uint16_t *w, long k, long width, long first_pair, long pairs, uint32_t *panel) {
    (void)w; (void)k; (void)width; (void)first_pair; (void)pairs; (void)panel;
    __builtin_trap();
}

void minimax_bf16_dot_panel(
    const uint32_t *x, long x_pairs, long rows, const uint32_t *panel, long pairs,
    float *out, long out_stride, long width, int accumulate) {
    (void)x; (void)x_pairs; (void)rows; (void)panel; (void)pairs; (void)out; (void)out_stride; (void)width;
    (void)accumulate;
    __builtin_trap();
}

void minimax_bf16_dot_panel_prefetching(
    const uint32_t *x, long x_pairs, long rows, const uint32_t *panel, long pairs,
    float *out, long out_stride, long width, int accumulate, const minimax_prefetch_rows *next) {
    (void)x; (void)x_pairs; (void)rows; (void)panel; (void)pairs; (void)out; (void)out_stride; (void)width;
    (void)accumulate; (void)next;
    __builtin_trap();
}

#endif
