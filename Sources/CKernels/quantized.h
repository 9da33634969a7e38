#ifndef MINIMAX_CKERNELS_QUANTIZED_H
#define MINIMAX_CKERNELS_QUANTIZED_H

// Shared by the quantized kernels (not part of the module's public header): the scalar decoding
// of one element, for row tails and prefill packing, and the loop over weight rows that both the
// portable and the AVX-512 matrix-vector kernels run.

#include <stdint.h>
#include <string.h>

static inline float bf16_scalar(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/// The 4-bit code of element j of a q4 row of k elements (layout in CKernels.h).
static inline int q4_code(const uint8_t *row, long k, long j) {
    long block = j & ~31L, offset = j - block;
    if (block + 32 <= k) {
        uint8_t b = row[block / 2 + (offset & 15)];
        return offset < 16 ? (b & 15) : (b >> 4);
    }
    uint8_t b = row[block / 2 + offset / 2];
    return (offset & 1) ? (b >> 4) : (b & 15);
}

static inline float q8_value(const int8_t *row, const uint16_t *scales, long group, long j) {
    return (float)row[j] * bf16_scalar(scales[j / group]);
}

static inline float q4_value(const uint8_t *row, const uint16_t *scales, const uint16_t *mins, long group, long k, long j) {
    return (float)q4_code(row, k, j) * bf16_scalar(scales[j / group]) + bf16_scalar(mins[j / group]);
}

// The steps of STEP elements of a row (k, group in scope), in k order, each group's scale (and
// minimum) loaded once: GROUP(g) runs at the start of group g, then STEP_BODY for each step wholly
// inside it (a group is a multiple of 32 elements or the whole row, so only the row's last group
// can end in a partial step). Leaves `i` at the first element the steps did not cover (the tail).
#define GROUPED_STEPS(STEP, GROUP, STEP_BODY)                                                      \
    long i = 0;                                                                                    \
    for (long g = 0; i + (STEP) <= k; g++) {                                                       \
        const long end = (g + 1) * group < k ? (g + 1) * group : k;                                \
        GROUP(g)                                                                                   \
        for (; i + (STEP) <= end; i += (STEP)) { STEP_BODY }                                       \
        if (i < end) break;                                                                        \
    }

// ROW(nt) with nt = min(remaining, 4) as a constant, so each block size gets its own inlined body.
#define UP_TO_FOUR_ROWS(remaining, ROW)                                                            \
    switch ((remaining) < 4 ? (remaining) : 4) {                                                   \
    case 4: ROW(4); break;                                                                         \
    case 3: ROW(3); break;                                                                         \
    case 2: ROW(2); break;                                                                         \
    default: ROW(1); break;                                                                        \
    }

// For each weight row r, the activation rows in blocks of at most four: ROW(nt) (nt a constant
// after inlining) computes out[t·out_stride + r] for the block's rows. Each output's arithmetic
// is the same whichever block it falls in, so x_rows never changes a result.
#define QUANTIZED_ROWS_LOOP(ROW)                                                                   \
    for (long r = 0; r < rows; r++) {                                                              \
        for (long t0 = 0; t0 < x_rows; t0 += 4) {                                                  \
            const float *xt = x + t0 * x_stride;                                                   \
            float *o = out + t0 * out_stride + r;                                                  \
            UP_TO_FOUR_ROWS(x_rows - t0, ROW)                                                      \
        }                                                                                          \
    }

#endif
