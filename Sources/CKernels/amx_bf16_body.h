// The body of the AMX bf16 product (matmul_amx.c includes it twice: for the tile instructions and
// for the software model of amx_tiles.h). AMX_VARIANT(name) names this copy's functions and
// AMX_TARGET gives them their target attribute.
//
// Roles: the weights are the A operand and the activations the B operand, so C = W · xᵀ:
//   A tile (tiles 4, 5): 16 weight rows × 32 bf16 of k, read straight from the checkpoint's
//     row-major [N, K] bf16 (stride 2K bytes) — no weight packing when K is a multiple of 32;
//   B tile (tiles 6, 7): 16 pairs of k × 16 activation rows, one 1 KB run of the packed activations;
//   C tiles 0–3: 2 × 2 blocks of 16 weight rows × 16 activation rows, fp32, stored transposed into out.
// Each output is one fp32 accumulation over k in the instruction's order, whatever the block.

/// One 32-weight-row block `w` (row stride `w_stride` elements, `steps` × 32 bf16 each) against the
/// 32 activation rows of `b` (two 16-row tiles of packed activations, `steps` × 256 words apart):
/// c[q][m][j] for q = 2·(weight half) + (activation half).
AMX_TARGET static void AMX_VARIANT(amx_bf16_block)(
    const uint16_t *w, long w_stride, const uint32_t *b0, const uint32_t *b1, long steps, float c[4][16][16], int store) {
    TILE_ZERO_2X2();
    const long stride = w_stride * 2;
    for (long s = 0; s < steps; s++)
        TILE_STEP_2X2(TILE_DPBF16PS, w + 32 * s, w + 16 * w_stride + 32 * s, stride, b0 + 256 * s, b1 + 256 * s);
    if (store) TILE_STORE_2X2(c);
}

/// `probe` (MINIMAX_AMX_PROBE_*, 0 in the engine) leaves parts of the work out, for timing only.
AMX_TARGET static void AMX_VARIANT(amx_bf16_rows)(
    const uint32_t *packed, long rows, long k, const uint16_t *w, long first, long count, float *out,
    long out_stride, uint16_t *scratch, int probe) {
    const long padded_k = amx_padded_k(k), steps = padded_k / 32, tile_words = amx_pairs(k) * 16;
    const long chunk_rows = minimax_amx_bf16_chunk_rows(k);
    float c[4][16][16] __attribute__((aligned(64)));
    const amx_tile_config config = amx_config(8, 16, 64);
    TILE_CONFIGURE(&config);
    for (long n0 = first; n0 < first + count; n0 += chunk_rows) {
        const long n1 = n0 + chunk_rows < first + count ? n0 + chunk_rows : first + count;
        // Whole 32-row blocks of a K that is a multiple of 32 are read in place; the rest is copied
        // into scratch, rows padded with zeros to padded_k and blocks to 32 rows.
        const int in_place = padded_k == k;
        const long whole = in_place ? (n1 - n0) / 32 * 32 : 0;
        if (whole < n1 - n0) {
            const long copied = n1 - n0 - whole, copied_rows = (copied + 31) / 32 * 32;
            memset(scratch, 0, (size_t)(copied_rows * padded_k) * sizeof(uint16_t));
            for (long r = 0; r < copied; r++) memcpy(scratch + r * padded_k, w + (n0 + whole + r) * k, (size_t)k * sizeof(uint16_t));
        }
        for (long t0 = 0; t0 < rows; t0 += 32) {
            const long b_block = probe & MINIMAX_AMX_PROBE_SAME_ACTIVATIONS ? 0 : t0 / 16;
            const uint32_t *b0 = packed + b_block * tile_words, *b1 = b0 + tile_words;
            for (long r0 = n0; r0 < n1; r0 += 32) {
                const long local = probe & MINIMAX_AMX_PROBE_SAME_WEIGHTS ? 0 : r0 - n0;
                const uint16_t *block = local < whole ? w + (n0 + local) * k : scratch + (local - whole) * padded_k;
                AMX_VARIANT(amx_bf16_block)(block, local < whole ? k : padded_k, b0, b1, steps, c,
                                            !(probe & MINIMAX_AMX_PROBE_NO_STORE));
                if (probe & (MINIMAX_AMX_PROBE_NO_STORE | MINIMAX_AMX_PROBE_NO_SCATTER)) continue;
                const long weight_rows = n1 - r0 < 32 ? n1 - r0 : 32, token_rows = rows - t0 < 32 ? rows - t0 : 32;
                for (long t = 0; t < token_rows; t++) {
                    float *o = out + (t0 + t) * out_stride + r0;
                    for (long m = 0; m < weight_rows; m++) o[m] = c[2 * (m / 16) + t / 16][m % 16][t % 16];
                }
            }
        }
    }
    TILE_RELEASE();
}

/// The same product with the roles swapped (`minimax_amx_bf16_product_activations_a`): the
/// activations are the A operand — rows of bf16 `act` [⌈rows / 32⌉·32, k32], k32 = K padded to 32,
/// read in place — and the weights the B operand, packed per 32-output block into panels of
/// [k32 / 2 pairs, 32 outputs] words (B tiles: 16 pairs × 16 outputs, rows 128 bytes apart). C tiles
/// are 16 activation rows × 16 outputs, stored straight into out (a partial block through `c`), so
/// nothing is transposed. Activation rows go in chunks of `chunk` (L2-resident while every block of
/// the thread's outputs passes). Each output is the same fp32 accumulation over k in the same order
/// as `amx_bf16_rows`', so the two give the same bits.
AMX_TARGET static void AMX_VARIANT(amx_bf16_activations_a_rows)(
    const uint16_t *act, long rows, long k32, const uint32_t *panels, long first, long count, float *out,
    long out_stride, long chunk) {
    const long steps = k32 / 32, panel_words = k32 / 2 * 32, a_stride = 2 * k32;
    float c[4][16][16] __attribute__((aligned(64)));
    const amx_tile_config config = amx_config(8, 16, 64);
    TILE_CONFIGURE(&config);
    for (long c0 = 0; c0 < rows; c0 += chunk) {
        const long c1 = c0 + chunk < rows ? c0 + chunk : rows;
        for (long b = 0; b < (count + 31) / 32; b++) {
            const uint32_t *panel = panels + b * panel_words;
            const long n0 = first + 32 * b, columns = count - 32 * b < 32 ? count - 32 * b : 32;
            for (long t0 = c0; t0 < c1; t0 += 32) {
                const uint16_t *a0 = act + t0 * k32, *a1 = a0 + 16 * k32;
                TILE_ZERO_2X2();
                for (long s = 0; s < steps; s++) {
                    const uint32_t *b0 = panel + 16 * 32 * s;  // outputs 0–15; 16–31 are the next 64 bytes
                    TILE_STEP_2X2_STRIDED(TILE_DPBF16PS, a0 + 32 * s, a1 + 32 * s, a_stride, b0, b0 + 16, 128);
                }
                // c[2·i + j]: activation rows t0 + 16i …, outputs n0 + 16j …
                float *o = out + t0 * out_stride + n0;
                const long bytes = out_stride * 4;
                if (t0 + 32 <= rows && columns == 32) {
                    TILE_STORE(0, o, bytes);
                    TILE_STORE(1, o + 16, bytes);
                    TILE_STORE(2, o + 16 * out_stride, bytes);
                    TILE_STORE(3, o + 16 * out_stride + 16, bytes);
                    continue;
                }
                TILE_STORE_2X2(c);
                const long token_rows = rows - t0 < 32 ? rows - t0 : 32;
                for (long t = 0; t < token_rows; t++)
                    for (long m = 0; m < columns; m++) o[t * out_stride + m] = c[2 * (t / 16) + m / 16][t % 16][m % 16];
            }
        }
    }
    TILE_RELEASE();
}
