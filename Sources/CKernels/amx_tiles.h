#ifndef MINIMAX_CKERNELS_AMX_TILES_H
#define MINIMAX_CKERNELS_AMX_TILES_H

// Shared by the AMX kernels (not part of the module's public header): the tile configuration, and
// a software model of the eight tile registers that runs the kernels' own code on any CPU.
//
// A kernel body is written once against the TILE_* operations and compiled twice: with
// AMX_HARDWARE defined they are the AMX instructions, otherwise calls into the model below. The
// tests run the model everywhere, so the kernels' layouts, loops and tails are checked on CPUs
// without AMX; on CPUs with AMX they also run the instructions and hold them to the same twin.

#include <stdint.h>
#include <string.h>
#include <math.h>

/// LDTILECFG's 64-byte operand (palette 1): bytes per row and rows of each of the 16 tile slots.
typedef struct {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((aligned(64))) amx_tile_config;

/// A configuration with tiles 0 … count − 1 of `rows` rows and `colsb` bytes per row.
static inline amx_tile_config amx_config(int count, int rows, int colsb) {
    amx_tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int t = 0; t < count; t++) {
        c.rows[t] = (uint8_t)rows;
        c.colsb[t] = (uint16_t)colsb;
    }
    return c;
}

/// The model of the tile registers: 8 tiles of up to 16 rows × 64 bytes, shaped by a configuration.
typedef struct {
    uint8_t data[8][16][64];
    int rows[8], colsb[8];
} amx_tile_model;

static inline void amx_model_configure(amx_tile_model *m, const amx_tile_config *c) {
    memset(m, 0, sizeof *m);
    for (int t = 0; t < 8; t++) {
        m->rows[t] = c->rows[t];
        m->colsb[t] = c->colsb[t];
    }
}

/// TILELOADD: row r of tile t from base + r · stride (bytes); the rest of each row is zeroed.
static inline void amx_model_load(amx_tile_model *m, int t, const void *base, long stride) {
    memset(m->data[t], 0, sizeof m->data[t]);
    for (int r = 0; r < m->rows[t]; r++) memcpy(m->data[t][r], (const uint8_t *)base + r * stride, (size_t)m->colsb[t]);
}

static inline void amx_model_store(const amx_tile_model *m, int t, void *base, long stride) {
    for (int r = 0; r < m->rows[t]; r++) memcpy((uint8_t *)base + r * stride, m->data[t][r], (size_t)m->colsb[t]);
}

static inline void amx_model_zero(amx_tile_model *m, int t) { memset(m->data[t], 0, sizeof m->data[t]); }

/// Each thread's model tiles, as each core has its own tile registers.
static _Thread_local amx_tile_model amx_model_tiles;

static inline float amx_model_bf16(const uint8_t *p) {
    uint32_t bits = (uint32_t)(p[0] | p[1] << 8) << 16;
    if ((bits & 0x7F800000u) == 0) bits &= 0x80000000u;  // denormal inputs read as zero
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/// TDPBF16PS: c[m][n] += Σ_k a[m][2k]·b[k][2n] + a[m][2k+1]·b[k][2n+1] in fp32, the even product
/// first (Intel SDM pseudo-code), each step rounded to nearest.
static inline void amx_model_dpbf16ps(amx_tile_model *m, int c, int a, int b) {
    const int pairs = m->colsb[a] / 4, columns = m->colsb[c] / 4;
    for (int i = 0; i < m->rows[c]; i++) {
        for (int j = 0; j < columns; j++) {
            float acc;
            memcpy(&acc, &m->data[c][i][4 * j], 4);
            for (int k = 0; k < pairs; k++) {
                acc = fmaf(amx_model_bf16(&m->data[a][i][4 * k]), amx_model_bf16(&m->data[b][k][4 * j]), acc);
                acc = fmaf(amx_model_bf16(&m->data[a][i][4 * k + 2]), amx_model_bf16(&m->data[b][k][4 * j + 2]), acc);
            }
            memcpy(&m->data[c][i][4 * j], &acc, 4);
        }
    }
}

/// TDPBSSD: c[m][n] += Σ_k Σ_{e<4} a[m][4k+e]·b[k][4n+e], signed bytes, int32 sums.
static inline void amx_model_dpbssd(amx_tile_model *m, int c, int a, int b) {
    const int quads = m->colsb[a] / 4, columns = m->colsb[c] / 4;
    for (int i = 0; i < m->rows[c]; i++) {
        for (int j = 0; j < columns; j++) {
            int32_t acc;
            memcpy(&acc, &m->data[c][i][4 * j], 4);
            for (int k = 0; k < quads; k++) {
                for (int e = 0; e < 4; e++)
                    acc += (int32_t)(int8_t)m->data[a][i][4 * k + e] * (int32_t)(int8_t)m->data[b][k][4 * j + e];
            }
            memcpy(&m->data[c][i][4 * j], &acc, 4);
        }
    }
}

#endif

// The operations a kernel body uses (a thread configures its tiles before the first and releases
// them after the last),
// re-defined at each inclusion with or without AMX_HARDWARE.
#undef TILE_CONFIGURE
#undef TILE_RELEASE
#undef TILE_LOAD
#undef TILE_STORE
#undef TILE_ZERO
#undef TILE_DPBF16PS
#undef TILE_DPBSSD
#if defined(AMX_HARDWARE)
#include <immintrin.h>
#define TILE_CONFIGURE(config) _tile_loadconfig(config)
#define TILE_RELEASE() _tile_release()
#define TILE_LOAD(t, base, stride) _tile_loadd(t, base, stride)
#define TILE_STORE(t, base, stride) _tile_stored(t, base, stride)
#define TILE_ZERO(t) _tile_zero(t)
#define TILE_DPBF16PS(c, a, b) _tile_dpbf16ps(c, a, b)
#define TILE_DPBSSD(c, a, b) _tile_dpbssd(c, a, b)
#else
#define TILE_CONFIGURE(config) amx_model_configure(&amx_model_tiles, config)
#define TILE_RELEASE() ((void)0)
#define TILE_LOAD(t, base, stride) amx_model_load(&amx_model_tiles, t, base, stride)
#define TILE_STORE(t, base, stride) amx_model_store(&amx_model_tiles, t, base, stride)
#define TILE_ZERO(t) amx_model_zero(&amx_model_tiles, t)
#define TILE_DPBF16PS(c, a, b) amx_model_dpbf16ps(&amx_model_tiles, c, a, b)
#define TILE_DPBSSD(c, a, b) amx_model_dpbssd(&amx_model_tiles, c, a, b)
#endif

// The 2 × 2 output blocking both products use: tiles 0–3 accumulate (c = 2 · A half + B half), A
// halves in tiles 4 and 5, B halves in tiles 6 and 7.
#undef TILE_ZERO_2X2
#undef TILE_STEP_2X2
#undef TILE_STEP_2X2_STRIDED
#undef TILE_STORE_2X2
#define TILE_ZERO_2X2() \
    do { TILE_ZERO(0); TILE_ZERO(1); TILE_ZERO(2); TILE_ZERO(3); } while (0)
/// Loads A halves from a0, a1 (a_stride bytes per row) and B halves from b0, b1 (b_stride bytes per
/// row), then DP(c, a, b) for the four pairs.
#define TILE_STEP_2X2_STRIDED(DP, a0, a1, a_stride, b0, b1, b_stride) \
    do {                                                              \
        TILE_LOAD(4, a0, a_stride);                                   \
        TILE_LOAD(5, a1, a_stride);                                   \
        TILE_LOAD(6, b0, b_stride);                                   \
        TILE_LOAD(7, b1, b_stride);                                   \
        DP(0, 4, 6);                                                  \
        DP(1, 4, 7);                                                  \
        DP(2, 5, 6);                                                  \
        DP(3, 5, 7);                                                  \
    } while (0)
/// The step with B tiles of contiguous 64-byte rows (1 KB each).
#define TILE_STEP_2X2(DP, a0, a1, a_stride, b0, b1) TILE_STEP_2X2_STRIDED(DP, a0, a1, a_stride, b0, b1, 64)
#undef TILE_STEP_2X2_INTERLEAVED
/// The same step with each load just before its first use (A0, B0, C00, B1, C01, A1, C10, C11).
#define TILE_STEP_2X2_INTERLEAVED(DP, a0, a1, a_stride, b0, b1) \
    do {                                                        \
        TILE_LOAD(4, a0, a_stride);                             \
        TILE_LOAD(6, b0, 64);                                   \
        DP(0, 4, 6);                                            \
        TILE_LOAD(7, b1, 64);                                   \
        DP(1, 4, 7);                                            \
        TILE_LOAD(5, a1, a_stride);                             \
        DP(2, 5, 6);                                            \
        DP(3, 5, 7);                                            \
    } while (0)
/// Tiles 0–3 into c[0…3], 16 rows of 64 bytes each.
#define TILE_STORE_2X2(c) \
    do { TILE_STORE(0, c[0], 64); TILE_STORE(1, c[1], 64); TILE_STORE(2, c[2], 64); TILE_STORE(3, c[3], 64); } while (0)
