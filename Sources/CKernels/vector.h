#ifndef MINIMAX_CKERNELS_VECTOR_H
#define MINIMAX_CKERNELS_VECTOR_H

// Shared by the C kernels (not part of the module's public header): sixteen-lane vector types and
// unaligned loads, through clang vector extensions.

#include <stdint.h>
#include <string.h>

typedef float f32x16 __attribute__((vector_size(64)));
typedef uint32_t u32x16 __attribute__((vector_size(64)));
typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef uint16_t u16x16 __attribute__((vector_size(32)));

static inline f32x16 load_f32(const float *p) {
    f32x16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/// Sixteen bf16 values widened to fp32 (bf16 is the top half of an fp32).
static inline f32x16 load_bf16(const uint16_t *p) {
    u16x16 h;
    memcpy(&h, p, sizeof h);
    u32x16 w = __builtin_convertvector(h, u32x16) << 16;
    f32x16 f;
    memcpy(&f, &w, sizeof f);
    return f;
}

static inline float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/// x rounded to the nearest bf16, ties to even (as `vcvtneps2bf16`); a NaN stays a (quiet) NaN.
/// Branch-free, so loops over it vectorize.
static inline uint16_t f32_to_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16, quiet_nan = (bits >> 16) | 0x40u;
    return (uint16_t)((bits & 0x7FFFFFFFu) > 0x7F800000u ? quiet_nan : rounded);
}

/// Sixteen values rounded to bf16 as f32_to_bf16 does each, stored at dst.
static inline void store_bf16(uint16_t *dst, f32x16 v) {
    u32x16 bits;
    memcpy(&bits, &v, sizeof bits);
    const u32x16 rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16, quiet_nan = (bits >> 16) | 0x40u;
    const u32x16 nan = (u32x16)((bits & 0x7FFFFFFFu) > 0x7F800000u);  // all ones where NaN
    const u16x16 h = __builtin_convertvector((rounded & ~nan) | (quiet_nan & nan), u16x16);
    memcpy(dst, &h, sizeof h);
}

/// Sum of the 16 lanes by halving: 8 + 4 + 2 + 1 adds.
static inline float reduce(f32x16 v) {
    typedef float f32x8 __attribute__((vector_size(32)));
    typedef float f32x4 __attribute__((vector_size(16)));
    f32x8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    f32x4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

#endif
