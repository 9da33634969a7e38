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
    for (long i = 0; i < count; i++) dst[i] = f32_to_bf16(src[i]);
}
