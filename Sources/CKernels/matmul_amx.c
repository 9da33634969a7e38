#include "CKernels.h"
#include <string.h>
#include "quantized.h"
#include "vector.h"
#include "amx_q8_layout.h"

// The products on AMX tiles — bf16 × bf16 (`tdpbf16ps`) and int8 activations × int8 / q4 weights
// (`tdpbssd`) — and the same code on the software model of the tiles (amx_tiles.h), so that it is
// tested on every CPU. The bodies are amx_bf16_body.h and amx_q8_body.h; packing and helpers here.

static inline long amx_padded_k(long k) { return (k + 31) / 32 * 32; }
static inline long amx_pairs(long k) { return amx_padded_k(k) / 2; }

long minimax_amx_bf16_packed_words(long rows, long k) { return (rows + 31) / 32 * 32 * amx_pairs(k); }

long minimax_amx_bf16_chunk_rows(long k) {
    // Weight rows that share one pass over the activations: about 1 MB of them (L2-resident while
    // every 32-row block of activations passes), in whole 32-row blocks, at least one.
    const long rows = (1L << 20) / (2 * amx_padded_k(k)) / 32 * 32;
    return rows < 32 ? 32 : rows;
}

/// x rounded to the nearest bf16 (vector.h's f32_to_bf16), as a word's low half.
static inline uint32_t round_bf16(float x) { return f32_to_bf16(x); }

void minimax_amx_bf16_pack_activations(const float *x, long rows, long k, uint32_t *dst) {
    const long pairs = amx_pairs(k), padded_rows = (rows + 31) / 32 * 32;
    for (long t = 0; t < padded_rows; t++) {
        uint32_t *tile = dst + (t / 16) * pairs * 16 + t % 16;  // tile t / 16 is [pairs, 16]
        const float *row = x + t * k;
        for (long p = 0; p < pairs; p++) {
            const long e = 2 * p;
            uint32_t word = 0;
            if (t < rows && e < k) word = round_bf16(row[e]) | (e + 1 < k ? round_bf16(row[e + 1]) << 16 : 0);
            tile[p * 16] = word;
        }
    }
}

long minimax_amx_q8_chunk_rows(long k) {
    // As for bf16: about 512 KB of weight codes per pass over the activations.
    const long rows = (1L << 19) / (32 * amx_q8_blocks(k)) / 32 * 32;
    return rows < 32 ? 32 : rows;
}

/// Weight rows first ..< first + count as bytes in scratch: rows of 32 · ⌈k / 32⌉ (int8 codes, or
/// q4 codes 0…15 unpacked from their nibbles), zero past k and up to a multiple of 32 rows.
static void amx_q8_copy_codes(const void *codes, int q4, long k, long first, long count, int8_t *scratch) {
    const long padded_k = 32 * amx_q8_blocks(k), row_bytes = q4 ? (k + 1) / 2 : k;
    memset(scratch, 0, (size_t)((count + 31) / 32 * 32 * padded_k));
    for (long r = 0; r < count; r++) {
        const uint8_t *src = (const uint8_t *)codes + (first + r) * row_bytes;
        int8_t *dst = scratch + r * padded_k;
        if (!q4) {
            memcpy(dst, src, (size_t)k);
            continue;
        }
        for (long j = 0; j < k; j++) dst[j] = (int8_t)q4_code(src, k, j);
    }
}

#define AMX_TARGET
#define AMX_VARIANT(name) name##_model
#include "amx_tiles.h"
#include "amx_bf16_body.h"
#include "amx_q8_body.h"
#undef AMX_TARGET
#undef AMX_VARIANT

#if defined(__x86_64__)

#define AMX_HARDWARE
#define AMX_TARGET __attribute__((target("amx-tile,amx-bf16,amx-int8,avx512f,avx512bw,avx512vl")))
#define AMX_VARIANT(name) name##_hardware
#include "amx_tiles.h"
#include "amx_bf16_body.h"
#include "amx_q8_body.h"

/// Tiles 0–7 zeroed (`_tile_zero` takes a constant tile number).
AMX_TARGET static void zero_tiles(void) {
    TILE_ZERO(0);
    TILE_ZERO(1);
    TILE_ZERO(2);
    TILE_ZERO(3);
    TILE_ZERO(4);
    TILE_ZERO(5);
    TILE_ZERO(6);
    TILE_ZERO(7);
}

/// `iterations` × DP on tiles 0–3 from tiles 4–7 (all zero, 16 × 64 bytes): no memory operands.
#define PEAK_LOOP(DP)                                           \
    const amx_tile_config config = amx_config(8, 16, 64);       \
    TILE_CONFIGURE(&config);                                    \
    zero_tiles();                                               \
    for (long i = 0; i < iterations; i++) {                     \
        DP(0, 4, 6);                                            \
        DP(1, 4, 7);                                            \
        DP(2, 5, 6);                                            \
        DP(3, 5, 7);                                            \
    }                                                           \
    TILE_RELEASE();

AMX_TARGET void minimax_amx_bf16_peak_loop(long iterations) { PEAK_LOOP(TILE_DPBF16PS) }

AMX_TARGET void minimax_amx_int8_peak_loop(long iterations) { PEAK_LOOP(TILE_DPBSSD) }

AMX_TARGET void minimax_amx_bf16_load_loop(const uint8_t *buffer, long bytes, long a_stride, int interleaved, long iterations) {
    const amx_tile_config config = amx_config(8, 16, 64);
    TILE_CONFIGURE(&config);
    zero_tiles();
    // A: two 16-row tiles a_stride apart per row, walking 64 bytes across a 32-row block of
    // a_stride-byte rows, block after block through the first half of the buffer; B: two 1 KB
    // tiles, one after the other through the second half.
    const long half = bytes / 2, a_block = 32 * a_stride;
    const long a_blocks = half / a_block > 0 ? half / a_block : 1, columns = a_stride / 64;
    long block = 0, column = 0, b = 0;
    for (long i = 0; i < iterations; i++) {
        const uint8_t *a0 = buffer + block * a_block + 64 * column, *a1 = a0 + 16 * a_stride;
        const uint8_t *b0 = buffer + half + b, *b1 = b0 + 1024;
        if (interleaved) {
            TILE_STEP_2X2_INTERLEAVED(TILE_DPBF16PS, a0, a1, a_stride, b0, b1);
        } else {
            TILE_STEP_2X2(TILE_DPBF16PS, a0, a1, a_stride, b0, b1);
        }
        if (++column == columns) {
            column = 0;
            if (++block == a_blocks) block = 0;
        }
        b += 2048;
        if (b + 2048 > half) b = 0;
    }
    TILE_RELEASE();
}

#else  // not x86-64: no tiles; Swift's `KernelPath` never asks for them.

static void amx_bf16_rows_hardware(
    const uint32_t *packed, long rows, long k, const uint16_t *w, long first, long count, float *out,
    long out_stride, uint16_t *scratch, int probe) {
    (void)packed; (void)rows; (void)k; (void)w; (void)first; (void)count; (void)out; (void)out_stride; (void)scratch;
    (void)probe;
    __builtin_trap();
}

static void amx_bf16_activations_a_rows_hardware(
    const uint16_t *act, long rows, long k32, const uint32_t *panels, long first, long count, float *out,
    long out_stride, long chunk) {
    (void)act; (void)rows; (void)k32; (void)panels; (void)first; (void)count; (void)out; (void)out_stride; (void)chunk;
    __builtin_trap();
}

static void amx_q8_rows_hardware(
    const uint8_t *packed, long rows, long k, const void *codes, int q4, const uint16_t *scales,
    const uint16_t *mins, long group, long first, long count, float *out, long out_stride, int8_t *scratch) {
    (void)packed; (void)rows; (void)k; (void)codes; (void)q4; (void)scales; (void)mins; (void)group; (void)first;
    (void)count; (void)out; (void)out_stride; (void)scratch;
    __builtin_trap();
}

void minimax_amx_bf16_peak_loop(long iterations) {
    (void)iterations;
    __builtin_trap();
}

void minimax_amx_int8_peak_loop(long iterations) {
    (void)iterations;
    __builtin_trap();
}

void minimax_amx_bf16_load_loop(const uint8_t *buffer, long bytes, long a_stride, int interleaved, long iterations) {
    (void)buffer; (void)bytes; (void)a_stride; (void)interleaved; (void)iterations;
    __builtin_trap();
}

#endif

void minimax_amx_bf16_product(
    const uint32_t *packed, long rows, long k, const uint16_t *w, long first, long count, float *out,
    long out_stride, uint16_t *scratch, int tiles, int probe) {
    if (rows <= 0 || count <= 0) return;
    if (tiles == MINIMAX_AMX_TILES_HARDWARE)
        amx_bf16_rows_hardware(packed, rows, k, w, first, count, out, out_stride, scratch, probe);
    else
        amx_bf16_rows_model(packed, rows, k, w, first, count, out, out_stride, scratch, probe);
}

long minimax_amx_bf16_panel_words(long count, long k) { return (count + 31) / 32 * amx_pairs(k) * 32; }

long minimax_amx_bf16_narrowed_elements(long rows, long k) { return (rows + 31) / 32 * 32 * amx_padded_k(k); }

void minimax_amx_bf16_narrow_activations(const float *x, long rows, long k, uint16_t *dst) {
    const long k32 = amx_padded_k(k), padded_rows = (rows + 31) / 32 * 32;
    for (long t = 0; t < rows; t++) {
        minimax_narrow_bf16(x + t * k, dst + t * k32, k);
        memset(dst + t * k32 + k, 0, (size_t)(k32 - k) * sizeof(uint16_t));
    }
    memset(dst + rows * k32, 0, (size_t)((padded_rows - rows) * k32) * sizeof(uint16_t));
}

void minimax_amx_bf16_pack_weights(const uint16_t *w, long k, long first, long count, uint32_t *panels, int vector) {
    const long pairs = (k + 1) / 2, padded_pairs = amx_pairs(k);
    for (long b = 0; b < (count + 31) / 32; b++) {
        const long n0 = first + 32 * b, width = count - 32 * b < 32 ? count - 32 * b : 32;
        uint32_t *panel = panels + b * padded_pairs * 32;
        if (vector) {
            minimax_bf16_pack_panel(w + n0 * k, k, width, 0, pairs, panel);
        } else {
            for (long p = 0; p < pairs; p++) {
                for (long j = 0; j < 32; j++) {
                    uint32_t word = 0;
                    if (j < width) {
                        const uint16_t *e = w + (n0 + j) * k + 2 * p;
                        word = (uint32_t)e[0] | (2 * p + 1 < k ? (uint32_t)e[1] << 16 : 0);
                    }
                    panel[p * 32 + j] = word;
                }
            }
        }
        memset(panel + pairs * 32, 0, (size_t)((padded_pairs - pairs) * 32) * sizeof(uint32_t));
    }
}

void minimax_amx_bf16_product_activations_a(
    const uint16_t *act, long rows, long k, const uint16_t *w, long first, long count, float *out,
    long out_stride, uint32_t *panels, int tiles) {
    if (rows <= 0 || count <= 0) return;
    const long k32 = amx_padded_k(k);
    // Activation rows per chunk: about 512 KB of them, whole 32-row blocks, at least one.
    long chunk = (1L << 19) / (2 * k32) / 32 * 32;
    if (chunk < 32) chunk = 32;
    const int hardware = tiles == MINIMAX_AMX_TILES_HARDWARE;
    minimax_amx_bf16_pack_weights(w, k, first, count, panels, hardware);
    (hardware ? amx_bf16_activations_a_rows_hardware : amx_bf16_activations_a_rows_model)(
        act, rows, k32, panels, first, count, out, out_stride, chunk);
}

void minimax_amx_q8_product(
    const uint8_t *packed, long rows, long k, const void *codes, int q4, const uint16_t *scales,
    const uint16_t *mins, long group, long first, long count, float *out, long out_stride, int8_t *scratch, int tiles) {
    if (rows <= 0 || count <= 0) return;
    if (tiles == MINIMAX_AMX_TILES_HARDWARE)
        amx_q8_rows_hardware(packed, rows, k, codes, q4, scales, mins, group, first, count, out, out_stride, scratch);
    else
        amx_q8_rows_model(packed, rows, k, codes, q4, scales, mins, group, first, count, out, out_stride, scratch);
}
