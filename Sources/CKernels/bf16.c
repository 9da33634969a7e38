#include "CKernels.h"
#include "vector.h"

void minimax_widen_bf16(const uint16_t *src, float *dst, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        f32x16 f = load_bf16(src + i);
        memcpy(dst + i, &f, sizeof f);
    }
    for (; i < count; i++) dst[i] = bf16_to_f32(src[i]);
}

void minimax_narrow_bf16(const float *src, uint16_t *dst, long count) {
    // One branch-free select per element, so the loop vectorizes.
    for (long i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, src + i, sizeof bits);
        const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16, quiet_nan = (bits >> 16) | 0x40u;
        dst[i] = (uint16_t)((bits & 0x7FFFFFFFu) > 0x7F800000u ? quiet_nan : rounded);
    }
}
