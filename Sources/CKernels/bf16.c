#include "CKernels.h"
#include <string.h>

typedef float f32x16 __attribute__((vector_size(64)));
typedef uint32_t u32x16 __attribute__((vector_size(64)));
typedef uint16_t u16x16 __attribute__((vector_size(32)));

static inline f32x16 widen16(const uint16_t *p) {
    u16x16 h;
    memcpy(&h, p, sizeof h);
    u32x16 w = __builtin_convertvector(h, u32x16) << 16;
    f32x16 f;
    memcpy(&f, &w, sizeof f);
    return f;
}

static inline f32x16 load16(const float *p) {
    f32x16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void minimax_widen_bf16(const uint16_t *src, float *dst, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        f32x16 f = widen16(src + i);
        memcpy(dst + i, &f, sizeof f);
    }
    for (; i < count; i++) dst[i] = bf16_to_f32(src[i]);
}

float minimax_dot_f32_bf16(const float *x, const uint16_t *w, long count) {
    f32x16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    long i = 0;
    for (; i + 64 <= count; i += 64) {
        a0 += load16(x + i) * widen16(w + i);
        a1 += load16(x + i + 16) * widen16(w + i + 16);
        a2 += load16(x + i + 32) * widen16(w + i + 32);
        a3 += load16(x + i + 48) * widen16(w + i + 48);
    }
    for (; i + 16 <= count; i += 16) a0 += load16(x + i) * widen16(w + i);
    f32x16 a = (a0 + a1) + (a2 + a3);
    float sum = 0;
    for (int lane = 0; lane < 16; lane++) sum += a[lane];
    for (; i < count; i++) sum += x[i] * bf16_to_f32(w[i]);
    return sum;
}
