#ifndef MINIMAX_CKERNELS_Q8_ACTIVATIONS_H
#define MINIMAX_CKERNELS_Q8_ACTIVATIONS_H

// Shared by the int8-activation kernels (not part of the module's public header): where the parts
// of a quantized activation row lie (layout in CKernels.h), the weight scales of a span's blocks,
// and the loop over weight rows and blocks of up to eight activation rows.

#include "quantized.h"

static inline long q8_spans(long k) { return (k + MINIMAX_Q8_SPAN - 1) / MINIMAX_Q8_SPAN; }
static inline long q8_blocks(long k) { return (k + MINIMAX_Q8_BLOCK - 1) / MINIMAX_Q8_BLOCK; }

/// d of the row's blocks: [spans · 16] fp32 after the codes.
static inline const float *q8_block_scales(const uint8_t *row, long spans) {
    return (const float *)(const void *)(row + spans * MINIMAX_Q8_SPAN);
}

/// Σx of the row's blocks: [spans · 16] fp32 after the scales.
static inline const float *q8_block_sums(const uint8_t *row, long spans) { return q8_block_scales(row, spans) + spans * 16; }

/// −128 · Σa of the row's blocks: [spans · 16] int32 after the sums (int8 layout; 0 in the q4 one).
static inline const int32_t *q8_block_corrections(const uint8_t *row, long spans) {
    return (const int32_t *)(const void *)(q8_block_sums(row, spans) + spans * 16);
}

/// The block of a span whose values lane j holds (and the lane that holds block j): the transpose
/// of a 4 × 4 grid, β(j) = 4 · (j mod 4) + ⌊j / 4⌋, its own inverse.
static inline int q8_lane_block(int j) { return 4 * (j % 4) + j / 4; }

/// Byte offset in a span's 512 codes of element e (< 512) of the span; `partial`: e's block is the
/// row's last and shorter than 32 (the q4 layout pairs its elements as the weights do).
static inline long q8_code_position(int layout, long e, int partial) {
    const long lane = q8_lane_block((int)(e / MINIMAX_Q8_BLOCK)), o = e % MINIMAX_Q8_BLOCK;
    if (layout == MINIMAX_Q8_LAYOUT_INT8) return 64 * (o / 4) + 4 * lane + o % 4;
    const long byte = partial ? o / 2 : o % 16, high = partial ? o % 2 : o / 16;
    return 128 * (byte / 4) + 64 * high + 4 * lane + byte % 4;
}

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
// within a panel, for each block of activation rows, each weight row r: ROW(nt) (nt a constant
// after inlining) computes out[t·out_stride + r] for the block's rows from `at`, its first
// quantized row. A block is at most eight rows, fewer where eight rows' codes would not stay in
// L1 (q8act_block_rows). A row's arithmetic is the same in whichever block and panel it falls.
#define Q8ACT_ROWS_PER_BLOCK 8
#define Q8ACT_L1_BUDGET (24L << 10)

/// Activation rows per block: the largest of 8, 4, 2, 1 whose rows take at most Q8ACT_L1_BUDGET
/// bytes (the rest of the 32 KB L1 holds the weight row's span and the outputs), at least one.
static inline long q8act_block_rows(long act_bytes) {
    long n = Q8ACT_ROWS_PER_BLOCK;
    while (n > 1 && n * act_bytes > Q8ACT_L1_BUDGET) n /= 2;
    return n;
}

/// Decode (one block of activation rows) may prefetch the weight row this many rows ahead of the
/// one it multiplies, line by line (`minimax_q8act_set_prefetch_rows`; 0: none, the default).
extern long minimax_q8act_prefetch_rows;

// ROW(nt) with nt = n (1…8) as a constant, so each block size gets its own inlined body.
#define Q8ACT_UP_TO_EIGHT_ROWS(n, ROW)                                                             \
    switch (n) {                                                                                   \
    case 8: ROW(8); break;                                                                         \
    case 7: ROW(7); break;                                                                         \
    case 6: ROW(6); break;                                                                         \
    case 5: ROW(5); break;                                                                         \
    case 4: ROW(4); break;                                                                         \
    case 3: ROW(3); break;                                                                         \
    case 2: ROW(2); break;                                                                         \
    default: ROW(1); break;                                                                        \
    }

#define Q8ACT_ROWS_LOOP(WEIGHT_ROW_BYTES, ROW)                                                     \
    const long act_bytes = minimax_q8_activation_row_bytes(k);                                     \
    const long block = q8act_block_rows(act_bytes);                                                \
    const long panel = (WEIGHT_ROW_BYTES) >= (1L << 16) ? 4 : (1L << 18) / (WEIGHT_ROW_BYTES);      \
    const long ahead = act_rows <= block ? minimax_q8act_prefetch_rows : 0;                        \
    for (long r0 = 0; r0 < rows; r0 += panel) {                                                    \
        const long r1 = r0 + panel < rows ? r0 + panel : rows;                                     \
        for (long t0 = 0; t0 < act_rows; t0 += block) {                                            \
            const uint8_t *at = act + t0 * act_bytes;                                              \
            const long left = act_rows - t0;                                                       \
            for (long r = r0; r < r1; r++) {                                                       \
                if (ahead > 0 && r + ahead < rows) {                                               \
                    const char *next = (const char *)codes + (r + ahead) * (WEIGHT_ROW_BYTES);     \
                    for (long line = 0; line < (WEIGHT_ROW_BYTES); line += 64)                     \
                        __builtin_prefetch(next + line, 0, 3);                                     \
                }                                                                                  \
                float *o = out + t0 * out_stride + r;                                              \
                Q8ACT_UP_TO_EIGHT_ROWS(left < block ? left : block, ROW)                           \
            }                                                                                      \
        }                                                                                          \
    }

/// Where a block of activation rows' parts lie: row t's codes of span p at codes + t · code_row +
/// p · code_span; its d, Σx and correction of span p at d / sums / corr + t · meta_row + p · meta_span.
typedef struct {
    const uint8_t *codes;
    long code_row, code_span;
    const float *d, *sums;
    const int32_t *corr;
    long meta_row, meta_span;
} q8act_block_at;

/// The activations' own layout (CKernels.h): rows act_bytes apart.
static inline q8act_block_at q8act_rows_layout(const uint8_t *act, long act_bytes, long spans) {
    return (q8act_block_at){act, act_bytes, MINIMAX_Q8_SPAN, q8_block_scales(act, spans), q8_block_sums(act, spans),
                            q8_block_corrections(act, spans), act_bytes / 4, 16};
}

/// A block's rows copied span-major (each span: 8 rows' codes, then their d, Σx and corrections),
/// so that one pointer and constant offsets reach every row.
#define Q8ACT_TILE_SPAN (8 * MINIMAX_Q8_SPAN + 3 * 8 * 16 * 4)

static inline q8act_block_at q8act_tile_layout(const uint8_t *tile) {
    const float *d = (const float *)(const void *)(tile + 8 * MINIMAX_Q8_SPAN);
    return (q8act_block_at){tile, MINIMAX_Q8_SPAN, Q8ACT_TILE_SPAN, d, d + 128, (const int32_t *)(const void *)(d + 256), 16,
                            Q8ACT_TILE_SPAN / 4};
}

/// Spans first…first + count − 1 of nb rows (of `spans`) into tile spans 0…count − 1.
static inline void q8act_copy_to_tile(const uint8_t *act, long act_bytes, long nb, long spans, long first, long count, uint8_t *tile) {
    for (long t = 0; t < nb; t++) {
        const uint8_t *row = act + t * act_bytes;
        const float *d = q8_block_scales(row, spans), *sums = q8_block_sums(row, spans);
        const int32_t *corr = q8_block_corrections(row, spans);
        for (long p = first; p < first + count; p++) {
            uint8_t *span = tile + (p - first) * Q8ACT_TILE_SPAN;
            memcpy(span + t * MINIMAX_Q8_SPAN, row + p * MINIMAX_Q8_SPAN, MINIMAX_Q8_SPAN);
            float *td = (float *)(void *)(span + 8 * MINIMAX_Q8_SPAN);
            memcpy(td + t * 16, d + 16 * p, 64);
            memcpy(td + 128 + t * 16, sums + 16 * p, 64);
            memcpy(td + 256 + t * 16, corr + 16 * p, 64);
        }
    }
}

// Prompts (more activation rows than a block, blocks of eight) go through span-major copies of
// each block (q8act_tile_layout) with the including file's q8act_*_rows_at, the row functions'
// arithmetic: the same bits. The weight rows in panels as Q8ACT_ROWS_LOOP takes them; ROW_AT(nt)
// runs weight row r against the block's rows at `at`; anything else goes to Q8ACT_ROWS_LOOP(ROW).
#define Q8ACT_TILED_LOOP(WEIGHT_ROW_BYTES, ROW, ROW_AT)                                                 \
    const long spans = q8_spans(k), act_bytes = minimax_q8_activation_row_bytes(k);                \
    if (act_rows <= Q8ACT_ROWS_PER_BLOCK || q8act_block_rows(act_bytes) < Q8ACT_ROWS_PER_BLOCK) {  \
        Q8ACT_ROWS_LOOP(WEIGHT_ROW_BYTES, ROW)                                           \
        return;                                                                                    \
    }                                                                                              \
    uint8_t tile[Q8ACT_L1_BUDGET] __attribute__((aligned(64))); /* 8 rows fit the budget */        \
    const long panel = (WEIGHT_ROW_BYTES) >= (1L << 16) ? 4 : (1L << 18) / (WEIGHT_ROW_BYTES);      \
    for (long r0 = 0; r0 < rows; r0 += panel) {                                                    \
        const long r1 = r0 + panel < rows ? r0 + panel : rows;                                     \
        for (long t0 = 0; t0 < act_rows; t0 += 8) {                                                \
            const long nb = act_rows - t0 < 8 ? act_rows - t0 : 8;                                 \
            q8act_copy_to_tile(act + t0 * act_bytes, act_bytes, nb, spans, 0, spans, tile);              \
            const q8act_block_at at = q8act_tile_layout(tile);                                           \
            for (long r = r0; r < r1; r++) {                                                       \
                float *o = out + t0 * out_stride + r;                                              \
                Q8ACT_UP_TO_EIGHT_ROWS(nb, ROW_AT)                                                 \
            }                                                                                      \
        }                                                                                          \
    }
/// Weight row r against the block's nt rows at `at` (a q8act_block_at), into o.
#define Q8ACT_INT8_ROWS_AT(nt) q8act_int8_rows_at(at, nt, codes + r * k, scales + r * groups, group, k, o, out_stride)
#define Q8ACT_Q4_ROWS_AT(nt) \
    q8act_q4_rows_at(at, nt, codes + r * row_bytes, scales + r * groups, mins + r * groups, group, k, o, out_stride)

// The exported pair of an int8-activation kernel (CKernels.h, minimax_q8act_matvec_rows_{int8,q4}_
// SUFFIX): Q8ACT_TILED_LOOP over the including file's q8act_int8_rows_at and q8act_q4_rows_at
// (static, with the signature of the calls above; Q8ACT_ROWS_LOOP's rows read in their own layout).
// Q8ACT_TRAP_EXPORTS(SUFFIX): the pair where the
// CPU cannot run them (`KernelPath` never selects them there).
#define Q8ACT_INT8_ROW_CALL(nt)                                                                    \
    q8act_int8_rows_at(q8act_rows_layout(at, act_bytes, q8_spans(k)), nt, codes + r * k, scales + r * groups, group, k, o, \
                       out_stride)
#define Q8ACT_Q4_ROW_CALL(nt)                                                                      \
    q8act_q4_rows_at(q8act_rows_layout(at, act_bytes, q8_spans(k)), nt, codes + r * row_bytes, scales + r * groups, \
                     mins + r * groups, group, k, o, out_stride)
#define Q8ACT_EXPORTS(ATTR, SUFFIX) Q8ACT_EXPORT_INT8(ATTR, SUFFIX) Q8ACT_EXPORT_Q4(ATTR, SUFFIX)
#define Q8ACT_EXPORT_INT8(ATTR, SUFFIX) Q8ACT_EXPORT_INT8_(ATTR, SUFFIX)
#define Q8ACT_EXPORT_INT8_(ATTR, SUFFIX)                                                                   \
    ATTR void minimax_q8act_matvec_rows_int8_##SUFFIX(                                                      \
        const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group,  \
        long rows, float *out, long out_stride) {                                                            \
        const long groups = (k + group - 1) / group;                                                         \
        Q8ACT_TILED_LOOP(k, Q8ACT_INT8_ROW_CALL, Q8ACT_INT8_ROWS_AT)                                         \
    }
#define Q8ACT_EXPORT_Q4(ATTR, SUFFIX) Q8ACT_EXPORT_Q4_(ATTR, SUFFIX)
#define Q8ACT_EXPORT_Q4_(ATTR, SUFFIX)                                                                     \
    ATTR void minimax_q8act_matvec_rows_q4_##SUFFIX(                                                        \
        const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales,            \
        const uint16_t *mins, long group, long rows, float *out, long out_stride) {                          \
        const long groups = (k + group - 1) / group, row_bytes = (k + 1) / 2;                                \
        Q8ACT_TILED_LOOP(row_bytes, Q8ACT_Q4_ROW_CALL, Q8ACT_Q4_ROWS_AT)                                     \
    }
#define Q8ACT_TRAP_EXPORTS(SUFFIX)                                                                         \
    void minimax_q8act_matvec_rows_int8_##SUFFIX(                                                           \
        const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group,  \
        long rows, float *out, long out_stride) {                                                            \
        (void)act; (void)act_rows; (void)k; (void)codes; (void)scales; (void)group; (void)rows; (void)out;  \
        (void)out_stride;                                                                                    \
        __builtin_trap();                                                                                    \
    }                                                                                                        \
    void minimax_q8act_matvec_rows_q4_##SUFFIX(                                                             \
        const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales,            \
        const uint16_t *mins, long group, long rows, float *out, long out_stride) {                          \
        (void)act; (void)act_rows; (void)k; (void)codes; (void)scales; (void)mins; (void)group; (void)rows; \
        (void)out; (void)out_stride;                                                                         \
        __builtin_trap();                                                                                    \
    }

#endif
