#ifndef MINIMAX_CKERNELS_AMX_Q8_LAYOUT_H
#define MINIMAX_CKERNELS_AMX_Q8_LAYOUT_H

// Shared by the AMX int8-activation product and its packing (not part of the module's public
// header): where a tile of 16 packed activation rows keeps its codes, scales and sums.
//
// A tile is [blocks · 512] code bytes — block b's 8 quads of k × 16 rows × 4 bytes, byte
// (b, p, j, e) = code of row j's element 32b + 4p + e: one `tdpbssd` B operand per block — then
// d [blocks, 16] fp32, then Σx [blocks, 16] fp32 (the scheme of `minimax_quantize_activations_q8`).

static inline long amx_q8_blocks(long k) { return (k + 31) / 32; }
static inline long amx_q8_tile_bytes(long k) { return amx_q8_blocks(k) * (512 + 2 * 16 * 4); }

static inline const float *amx_q8_scales(const uint8_t *tile, long blocks) {
    return (const float *)(const void *)(tile + blocks * 512);
}

static inline const float *amx_q8_sums(const uint8_t *tile, long blocks) {
    return amx_q8_scales(tile, blocks) + blocks * 16;
}

#endif
