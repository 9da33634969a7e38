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
    const uint16_t *w, long w_stride, const uint32_t *b0, const uint32_t *b1, long steps, float c[4][16][16], int interleaved) {
    TILE_ZERO_2X2();
    const long stride = w_stride * 2;
    if (interleaved) {
        for (long s = 0; s < steps; s++)
            TILE_STEP_2X2_INTERLEAVED(TILE_DPBF16PS, w + 32 * s, w + 16 * w_stride + 32 * s, stride, b0 + 256 * s, b1 + 256 * s);
    } else {
        for (long s = 0; s < steps; s++)
            TILE_STEP_2X2(TILE_DPBF16PS, w + 32 * s, w + 16 * w_stride + 32 * s, stride, b0 + 256 * s, b1 + 256 * s);
    }
    TILE_STORE_2X2(c);
}

AMX_TARGET static void AMX_VARIANT(amx_bf16_rows)(
    const uint32_t *packed, long rows, long k, const uint16_t *w, long first, long count, float *out,
    long out_stride, uint16_t *scratch, int interleaved) {
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
            const uint32_t *b0 = packed + (t0 / 16) * tile_words, *b1 = b0 + tile_words;
            for (long r0 = n0; r0 < n1; r0 += 32) {
                const long local = r0 - n0;
                const uint16_t *block = local < whole ? w + r0 * k : scratch + (local - whole) * padded_k;
                AMX_VARIANT(amx_bf16_block)(block, local < whole ? k : padded_k, b0, b1, steps, c, interleaved);
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

/// A finished 2 × 2 block c (as `amx_bf16_block` leaves it) into out: rows t0 + t, columns r0 + m
/// for t < token_rows, m < weight_rows. Whole blocks on AMX hardware are four 16 × 16 register
/// transposes (AVX-512), the rest one element at a time; the values are the same.
AMX_TARGET static inline void AMX_VARIANT(amx_bf16_store_transposed)(
    float c[4][16][16], float *out, long out_stride, long weight_rows, long token_rows) {
#if defined(AMX_HARDWARE)
    if (weight_rows == 32 && token_rows == 32) {
        for (int q = 0; q < 4; q++) {
            __m512 r[16], u[16];
            for (int i = 0; i < 16; i++) r[i] = _mm512_load_ps(c[q][i]);
            // 2 × 2 blocks of pairs, then of quads, then of 128-bit lanes.
            for (int i = 0; i < 16; i += 2) {
                u[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
                u[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
            }
            for (int i = 0; i < 16; i += 4) {
                for (int j = 0; j < 2; j++) {
                    r[i + j] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(u[i + j]), _mm512_castps_pd(u[i + j + 2])));
                    r[i + j + 2] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(u[i + j]), _mm512_castps_pd(u[i + j + 2])));
                }
            }
            for (int i = 0; i < 16; i += 8) {
                for (int j = 0; j < 4; j++) {
                    u[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
                    u[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xDD);
                }
            }
            for (int j = 0; j < 8; j++) {
                r[j] = _mm512_shuffle_f32x4(u[j], u[j + 8], 0x88);
                r[j + 8] = _mm512_shuffle_f32x4(u[j], u[j + 8], 0xDD);
            }
            // r[i] now holds column t = order[i] of c[q] (m = 0…15 at that t).
            static const int order[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
            float *o = out + (long)(16 * (q & 1)) * out_stride + 16 * (q >> 1);
            for (int i = 0; i < 16; i++) _mm512_storeu_ps(o + order[i] * out_stride, r[i]);
        }
        return;
    }
#endif
    for (long t = 0; t < token_rows; t++) {
        float *o = out + t * out_stride;
        for (long m = 0; m < weight_rows; m++) o[m] = c[2 * (m / 16) + t / 16][m % 16][t % 16];
    }
}

/// The same product with the roles of the caches swapped: up to `token_chunk` activation rows
/// (about 1 MB packed) stay in L2 while each 32-row weight block streams past them once, in order,
/// so the weights are read like a sequential stream the hardware prefetcher follows. `k_steps`
/// (0: all of K) splits K into runs of that many 32-wide steps, so a block's slice of weights
/// (k_steps × 2 KB) can stay in L1 while every 32-row block of the chunk's activations passes; the
/// partial sums then wait in `partial` (fp32, exact) between runs. Each output is still one fp32
/// accumulation in k order, the same bits as `amx_bf16_rows`.
/// scratch: 32 × padded K bf16 (a copied weight block), then the partial sums.
AMX_TARGET static void AMX_VARIANT(amx_bf16_rows_resident)(
    const uint32_t *packed, long rows, long k, const uint16_t *w, long first, long count, float *out,
    long out_stride, uint16_t *scratch, long k_steps, int interleaved, long token_chunk, int prefetch) {
    const long padded_k = amx_padded_k(k), steps = padded_k / 32, tile_words = amx_pairs(k) * 16;
    const long run = k_steps > 0 && k_steps < steps ? k_steps : steps;
    float c[4][16][16] __attribute__((aligned(64)));
    float (*partial)[4][16][16] = (float (*)[4][16][16])(scratch + 32 * padded_k);  // [token_chunk / 32]
    const amx_tile_config config = amx_config(8, 16, 64);
    TILE_CONFIGURE(&config);
    for (long c0 = 0; c0 < rows; c0 += token_chunk) {
        const long c1 = c0 + token_chunk < rows ? c0 + token_chunk : rows;
        for (long r0 = first; r0 < first + count; r0 += 32) {
            const long weight_rows = first + count - r0 < 32 ? first + count - r0 : 32;
            const uint16_t *block = w + r0 * k;
            long stride = k;
            if (padded_k != k || weight_rows < 32) {
                memset(scratch, 0, (size_t)(32 * padded_k) * sizeof(uint16_t));
                for (long r = 0; r < weight_rows; r++) memcpy(scratch + r * padded_k, w + (r0 + r) * k, (size_t)k * sizeof(uint16_t));
                block = scratch;
                stride = padded_k;
            }
            const long byte_stride = stride * 2;
            for (long s0 = 0; s0 < steps; s0 += run) {
                const long s1 = s0 + run < steps ? s0 + run : steps;
                // The next slice of weights (this block's next K run, else the next block's first),
                // 32 rows of (s1 - s0) · 64 bytes, prefetched into L2 row by row across the token
                // blocks of this pass.
                const long token_blocks = (c1 - c0 + 31) / 32;
                const uint16_t *next = s1 < steps ? block + 32 * s1 : r0 + 32 < first + count ? w + (r0 + 32) * k : 0;
                const long next_stride = s1 < steps ? stride : k, next_lines = (s1 < steps ? (s1 + run < steps ? run : steps - s1) : run) ;
                for (long t0 = c0; t0 < c1; t0 += 32) {
                    const uint32_t *b0 = packed + (t0 / 16) * tile_words, *b1 = b0 + tile_words;
                    float (*p)[16][16] = partial[(t0 - c0) / 32];
                    if (prefetch && next) {
                        for (long r = (t0 - c0) / 32; r < 32; r += token_blocks)
                            for (long l = 0; l < next_lines; l++) __builtin_prefetch(next + r * next_stride + 32 * l, 0, 2);
                    }
                    if (s0 == 0) {
                        TILE_ZERO_2X2();
                    } else {
                        TILE_LOAD(0, p[0], 64); TILE_LOAD(1, p[1], 64); TILE_LOAD(2, p[2], 64); TILE_LOAD(3, p[3], 64);
                    }
                    if (interleaved) {
                        for (long s = s0; s < s1; s++)
                            TILE_STEP_2X2_INTERLEAVED(TILE_DPBF16PS, block + 32 * s, block + 16 * stride + 32 * s, byte_stride, b0 + 256 * s, b1 + 256 * s);
                    } else {
                        for (long s = s0; s < s1; s++)
                            TILE_STEP_2X2(TILE_DPBF16PS, block + 32 * s, block + 16 * stride + 32 * s, byte_stride, b0 + 256 * s, b1 + 256 * s);
                    }
                    if (s1 < steps) {
                        TILE_STORE_2X2(p);
                    } else {
                        TILE_STORE_2X2(c);
                        const long token_rows = rows - t0 < 32 ? rows - t0 : 32;
                        AMX_VARIANT(amx_bf16_store_transposed)(c, out + t0 * out_stride + r0, out_stride, weight_rows, token_rows);
                    }
                }
            }
        }
    }
    TILE_RELEASE();
}
