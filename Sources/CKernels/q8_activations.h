#ifndef MINIMAX_CKERNELS_Q8_ACTIVATIONS_H
#define MINIMAX_CKERNELS_Q8_ACTIVATIONS_H

// Shared by the int8-activation kernels (not part of the module's public header): where the parts
// of a quantized activation row lie (layout in CKernels.h), the weight scales of a span's blocks,
// and the loop over weight rows and blocks of up to four activation rows.

#include "quantized.h"

static inline long q8_spans(long k) { return (k + MINIMAX_Q8_SPAN - 1) / MINIMAX_Q8_SPAN; }
static inline long q8_blocks(long k) { return (k + MINIMAX_Q8_BLOCK - 1) / MINIMAX_Q8_BLOCK; }

/// d of the row's blocks: [spans · 16] fp32 after the codes.
static inline const float *q8_block_scales(const uint8_t *row, long spans) {
    return (const float *)(const void *)(row + spans * MINIMAX_Q8_SPAN);
}

/// Σx of the row's blocks: [spans · 16] fp32 after the scales.
static inline const float *q8_block_sums(const uint8_t *row, long spans) { return q8_block_scales(row, spans) + spans * 16; }

/// values[g] (bf16 per group) for the 16 blocks of span p: out[j] is the value of the group that
/// holds block 16p + j, 0 past the row's last block.
static inline void span_group_values(const uint16_t *values, long group, long k, long span, float out[16]) {
    const long blocks = q8_blocks(k);
    for (int j = 0; j < 16; j++) {
        const long b = 16 * span + j;
        out[j] = b < blocks ? bf16_scalar(values[b * MINIMAX_Q8_BLOCK / group]) : 0.0f;
    }
}

// Weight rows in panels of about 256 KB (they stay in L2 while every activation row passes), and
// within a panel, for each block of at most four activation rows, each weight row r: ROW(nt) (nt a
// constant after inlining) computes out[t·out_stride + r] for the block's rows from `at`, its first
// quantized row. A row's arithmetic is the same in whichever block and panel it falls.
#define Q8ACT_ROWS_LOOP(WEIGHT_ROW_BYTES, ROW)                                                     \
    const long act_bytes = minimax_q8_activation_row_bytes(k);                                     \
    const long panel = (WEIGHT_ROW_BYTES) >= (1L << 16) ? 4 : (1L << 18) / (WEIGHT_ROW_BYTES);      \
    for (long r0 = 0; r0 < rows; r0 += panel) {                                                    \
        const long r1 = r0 + panel < rows ? r0 + panel : rows;                                     \
        for (long t0 = 0; t0 < act_rows; t0 += 4) {                                                \
            const uint8_t *at = act + t0 * act_bytes;                                              \
            for (long r = r0; r < r1; r++) {                                                       \
                float *o = out + t0 * out_stride + r;                                              \
                UP_TO_FOUR_ROWS(act_rows - t0, ROW)                                                \
            }                                                                                      \
        }                                                                                          \
    }

#endif
