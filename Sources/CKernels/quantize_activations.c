#include "CKernels.h"
#include "q8_activations.h"
#include "amx_q8_layout.h"
#include "vector.h"

// Activation quantization for the int8-activation products (scheme and layout in CKernels.h).
// One implementation for every kernel path: clang vector extensions, exact IEEE operations
// (division, round-to-nearest-even, adds in a fixed order), so the codes do not depend on the target.

long minimax_q8_activation_row_bytes(long k) { return q8_spans(k) * (MINIMAX_Q8_SPAN + 3 * 16 * sizeof(float)); }

/// Codes of one block of 32 values (zero-padded), its scale and its sum.
static void quantize_block(const float v[32], int8_t a[32], float *scale, float *sum) {
    const f32x16 lo = load_f32(v), hi = load_f32(v + 16);
    const f32x16 magnitude = __builtin_elementwise_max(__builtin_elementwise_abs(lo), __builtin_elementwise_abs(hi));
    // The largest magnitude by halving (max is exact: the order changes nothing for numbers).
    typedef float f32x8q __attribute__((vector_size(32)));
    typedef float f32x4q __attribute__((vector_size(16)));
    const f32x8q m8 = __builtin_elementwise_max(__builtin_shufflevector(magnitude, magnitude, 0, 1, 2, 3, 4, 5, 6, 7),
                                                __builtin_shufflevector(magnitude, magnitude, 8, 9, 10, 11, 12, 13, 14, 15));
    const f32x4q m4 = __builtin_elementwise_max(__builtin_shufflevector(m8, m8, 0, 1, 2, 3), __builtin_shufflevector(m8, m8, 4, 5, 6, 7));
    const float amax = __builtin_elementwise_max(__builtin_elementwise_max(m4[0], m4[1]), __builtin_elementwise_max(m4[2], m4[3]));
    const float d = amax / 127.0f;
    *scale = d;
    *sum = reduce(lo + hi);
    if (d == 0) {
        memset(a, 0, 32);
        return;
    }
    const f32x16 limit = {127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127};
    const f32x16 qlo = __builtin_elementwise_min(__builtin_elementwise_max(__builtin_elementwise_roundeven(lo / d), -limit), limit);
    const f32x16 qhi = __builtin_elementwise_min(__builtin_elementwise_max(__builtin_elementwise_roundeven(hi / d), -limit), limit);
    const i32x16 ilo = __builtin_convertvector(qlo, i32x16), ihi = __builtin_convertvector(qhi, i32x16);
    for (int j = 0; j < 16; j++) {
        a[j] = (int8_t)ilo[j];
        a[j + 16] = (int8_t)ihi[j];
    }
}

void minimax_quantize_activations_q8(const float *x, long rows, long x_stride, long k, int layout, uint8_t *dst) {
    const long spans = q8_spans(k), blocks = q8_blocks(k), row_bytes = minimax_q8_activation_row_bytes(k);
    for (long t = 0; t < rows; t++) {
        const float *xr = x + t * x_stride;
        uint8_t *codes = dst + t * row_bytes;
        float *scales = (float *)(void *)(codes + spans * MINIMAX_Q8_SPAN), *sums = scales + spans * 16;
        int32_t *corrections = (int32_t *)(void *)(sums + spans * 16);
        memset(codes, 0, spans * MINIMAX_Q8_SPAN);
        memset(scales, 0, 3 * spans * 16 * sizeof(float));
        for (long b = 0; b < blocks; b++) {
            const long first = b * MINIMAX_Q8_BLOCK, count = k - first < 32 ? k - first : 32;
            float v[32] = {0};
            int8_t a[32];
            memcpy(v, xr + first, count * sizeof(float));
            // Block b's values go to lane β(b mod 16) of its span (CKernels.h).
            const long span = b / 16, slot = 16 * span + q8_lane_block((int)(b % 16));
            quantize_block(v, a, scales + slot, sums + slot);
            int32_t code_sum = 0;
            for (int j = 0; j < 32; j++) code_sum += a[j];  // zero past count
            uint8_t *span_codes = codes + span * MINIMAX_Q8_SPAN;
            if (count == 32) {
                // A whole block's codes go in runs of four (q8_code_position of 4g … 4g + 3).
                const long lane = q8_lane_block((int)(b % 16));
                for (int g = 0; g < 8; g++) {
                    const long at = layout == MINIMAX_Q8_LAYOUT_INT8 ? 64 * g : 128 * (g % 4) + 64 * (g / 4);
                    memcpy(span_codes + at + 4 * lane, a + 4 * g, 4);
                }
            } else {
                for (int j = 0; j < count; j++)
                    span_codes[q8_code_position(layout, first % MINIMAX_Q8_SPAN + j, 1)] = (uint8_t)a[j];
            }
            corrections[slot] = layout == MINIMAX_Q8_LAYOUT_INT8 ? -128 * code_sum : 0;
        }
    }
}

long minimax_amx_q8_packed_bytes(long rows, long k) { return (rows + 31) / 32 * 2 * amx_q8_tile_bytes(k); }

void minimax_amx_q8_pack_activations(const float *x, long rows, long k, uint8_t *dst) {
    const long blocks = amx_q8_blocks(k), tile_bytes = amx_q8_tile_bytes(k), tiles = (rows + 31) / 32 * 2;
    for (long tile = 0; tile < tiles; tile++) {
        uint8_t *codes = dst + tile * tile_bytes;
        float *scales = (float *)(void *)(codes + blocks * 512), *sums = scales + blocks * 16;
        memset(codes, 0, (size_t)tile_bytes);
        for (long j = 0; j < 16 && 16 * tile + j < rows; j++) {
            const float *xr = x + (16 * tile + j) * k;
            for (long b = 0; b < blocks; b++) {
                const long first = 32 * b, count = k - first < 32 ? k - first : 32;
                float v[32] = {0};
                int8_t a[32];
                memcpy(v, xr + first, count * sizeof(float));
                quantize_block(v, a, scales + 16 * b + j, sums + 16 * b + j);
                for (int e = 0; e < 32; e++) codes[512 * b + 64 * (e / 4) + 4 * j + e % 4] = (uint8_t)a[e];
            }
        }
    }
}
