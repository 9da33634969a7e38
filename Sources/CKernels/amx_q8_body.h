// The body of the AMX int8-activation product (matmul_amx.c includes it twice, as amx_bf16_body.h).
//
// Roles as in the bf16 product: weights are the A operand (16 rows × one 32-byte block of k, int8
// codes; q4 codes expanded to bytes 0…15), the packed activations the B operand (8 quads of k × 16
// activation rows), and `tdpbssd` gives each block's exact integer dots for 2 × 2 tiles of 16 × 16
// outputs. Each block's dots are then scaled in fp32 — d (the activation block's scale) times the
// weight group's scale — and accumulated per output in block order; q4 adds min · Σx per block
// in a second sum, as the int8-activation kernels do (CKernels.h).

/// One 32 × 32 block of outputs: weight rows `w` (codes, `w_stride` bytes apart) against the two
/// activation tiles `a0`, `a1` (packed, `minimax_amx_q8_pack_activations`), over `blocks` blocks of
/// k. `scale(m, g)`, `minimum(m, g)`: weight row m's group g. acc, macc: [q][m][j], q = 2·(weight
/// half) + (activation half), m the weight row, j the activation row within its tile.
AMX_TARGET static void AMX_VARIANT(amx_q8_block)(
    const int8_t *w, long w_stride, const uint8_t *a0, const uint8_t *a1, long blocks,
    const uint16_t *scales, const uint16_t *mins, long groups, long group, long weight_rows, int one_group,
    float acc[4][16][16], float macc[4][16][16]) {
    int32_t dots[4][16][16] __attribute__((aligned(64)));
    memset(acc, 0, 4 * 16 * 16 * sizeof(float));
    memset(macc, 0, 4 * 16 * 16 * sizeof(float));
    const uint8_t *tiles[2] = {a0, a1};
    for (long b = 0; b < blocks; b++) {
        TILE_ZERO_2X2();
        TILE_STEP_2X2(TILE_DPBSSD, w + 32 * b, w + 16 * w_stride + 32 * b, w_stride, a0 + 512 * b, a1 + 512 * b);
        TILE_STORE_2X2(dots);
        const long g = b * 32 / group;
        for (int q = 0; q < 4; q++) {
            const float *d = amx_q8_scales(tiles[q % 2], blocks) + 16 * b;
            const float *sums = amx_q8_sums(tiles[q % 2], blocks) + 16 * b;
            for (int m = 0; m < 16; m++) {
                const long row = 16 * (q / 2) + m;
                if (row >= weight_rows) break;
                const float s = one_group ? 1.0f : bf16_scalar(scales[row * groups + g]);
                for (int j = 0; j < 16; j++) acc[q][m][j] = fmaf((float)dots[q][m][j], one_group ? d[j] : d[j] * s, acc[q][m][j]);
                if (mins) {
                    const float mn = bf16_scalar(mins[row * groups + g]);
                    for (int j = 0; j < 16; j++) macc[q][m][j] = fmaf(mn, sums[j], macc[q][m][j]);
                }
            }
        }
    }
}

AMX_TARGET static void AMX_VARIANT(amx_q8_rows)(
    const uint8_t *packed, long rows, long k, const void *codes, int q4, const uint16_t *scales,
    const uint16_t *mins, long group, long first, long count, float *out, long out_stride, int8_t *scratch) {
    const long blocks = amx_q8_blocks(k), padded_k = 32 * blocks, tile_bytes = amx_q8_tile_bytes(k);
    const long groups = (k + group - 1) / group, chunk_rows = minimax_amx_q8_chunk_rows(k);
    const int one_group = !q4 && group >= k;  // int8 rows with one scale: applied once, at the end
    float acc[4][16][16] __attribute__((aligned(64))), macc[4][16][16] __attribute__((aligned(64)));
    amx_tile_config config = amx_config(4, 16, 64);  // tiles 0–3: 16 × 16 int32 dots
    for (int t = 4; t < 8; t++) {
        config.rows[t] = t < 6 ? 16 : 8;     // A: 16 weight rows; B: 8 quads of k
        config.colsb[t] = t < 6 ? 32 : 64;   // A: one 32-byte block; B: 16 activation rows × 4 bytes
    }
    TILE_CONFIGURE(&config);
    for (long n0 = first; n0 < first + count; n0 += chunk_rows) {
        const long n1 = n0 + chunk_rows < first + count ? n0 + chunk_rows : first + count;
        // int8 codes of whole 32-row blocks with K a multiple of 32 are read in place; the rest
        // (and all q4 codes, expanded to a byte each) go to scratch, zero-padded to 32 × padded_k.
        const long whole = !q4 && padded_k == k ? (n1 - n0) / 32 * 32 : 0;
        if (whole < n1 - n0) amx_q8_copy_codes(codes, q4, k, n0 + whole, n1 - n0 - whole, scratch);
        for (long t0 = 0; t0 < rows; t0 += 32) {
            const uint8_t *a0 = packed + (t0 / 16) * tile_bytes, *a1 = a0 + tile_bytes;
            for (long r0 = n0; r0 < n1; r0 += 32) {
                const long local = r0 - n0, weight_rows = n1 - r0 < 32 ? n1 - r0 : 32;
                const int8_t *block = local < whole ? (const int8_t *)codes + r0 * k : scratch + (local - whole) * padded_k;
                AMX_VARIANT(amx_q8_block)(
                    block, local < whole ? k : padded_k, a0, a1, blocks, scales + r0 * groups,
                    q4 ? mins + r0 * groups : NULL, groups, group, weight_rows, one_group, acc, macc);
                const long token_rows = rows - t0 < 32 ? rows - t0 : 32;
                for (long t = 0; t < token_rows; t++) {
                    float *o = out + (t0 + t) * out_stride + r0;
                    for (long m = 0; m < weight_rows; m++) {
                        const int q = 2 * (int)(m / 16) + (int)(t / 16);
                        const float sum = acc[q][m % 16][t % 16];
                        o[m] = one_group ? sum * bf16_scalar(scales[(r0 + m) * groups])
                               : q4 ? sum + macc[q][m % 16][t % 16] : sum;
                    }
                }
            }
        }
    }
    TILE_RELEASE();
}
