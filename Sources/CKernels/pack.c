#include "CKernels.h"
#include "vector.h"

// Weight panels for the tiled fp32 kernel (PackedMatMul): panel[kk · 32 + j] = W[j, first + kk] as
// fp32, the k-major layout its micro-kernel reads. Sixteen rows × sixteen columns at a time are
// loaded (widened from bf16 when needed) and transposed in registers by four butterfly stages, so
// each value is loaded and stored once as part of a vector; the scalar loop this replaces stored
// every value on its own, 128 bytes from the last.

// Stage s of a 16 × 16 transpose swaps the off-diagonal s × s blocks of each 2s × 2s block:
// rows a = r, b = r + s (bit s of r clear) become
//   a'[c] = c & s ? b[c − s] : a[c],   b'[c] = c & s ? b[c] : a[c + s].
#define STAGE(v, s, A, B)                                                                          \
    for (int r = 0; r < 16; r++)                                                                   \
        if (!(r & (s))) {                                                                          \
            f32x16 a = v[r], b = v[r + (s)];                                                       \
            v[r] = __builtin_shufflevector(a, b, A);                                               \
            v[r + (s)] = __builtin_shufflevector(a, b, B);                                         \
        }
#define S8A 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define S8B 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define S4A 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define S4B 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define S2A 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define S2B 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define S1A 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define S1B 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31

static inline void transpose16(f32x16 v[16]) {
    STAGE(v, 8, S8A, S8B)
    STAGE(v, 4, S4A, S4B)
    STAGE(v, 2, S2A, S2B)
    STAGE(v, 1, S1A, S1B)
}

#define PACK_BODY(LOAD, SCALAR)                                                                    \
    long kk = 0;                                                                                   \
    for (; kk + 16 <= depth; kk += 16) {                                                           \
        for (int half = 0; half < 2; half++) {                                                     \
            f32x16 v[16];                                                                          \
            for (int r = 0; r < 16; r++) {                                                         \
                long j = half * 16 + r;                                                            \
                v[r] = j < width ? LOAD(w + j * k + first + kk) : (f32x16){0};                     \
            }                                                                                      \
            transpose16(v);                                                                        \
            for (int t = 0; t < 16; t++) memcpy(panel + (kk + t) * 32 + half * 16, &v[t], sizeof v[t]); \
        }                                                                                          \
    }                                                                                              \
    for (; kk < depth; kk++)                                                                       \
        for (long j = 0; j < 32; j++) panel[kk * 32 + j] = j < width ? SCALAR(w[j * k + first + kk]) : 0.0f;

#define IDENTITY(v) (v)

void minimax_pack_panel_f32(const float *w, long k, long width, long first, long depth, float *panel) {
    PACK_BODY(load_f32, IDENTITY)
}

void minimax_pack_panel_bf16(const uint16_t *w, long k, long width, long first, long depth, float *panel) {
    PACK_BODY(load_bf16, bf16_to_f32)
}

// out[c · rows + r] = a[r · columns + c] for rows r0 ≤ r < r1 (a row band, so threads can split the
// work): 16 × 16 tiles transposed in registers, the ragged edges one value at a time. The Swift
// twin is Training's `Transpose.applyPortable`.
void minimax_transpose_f32(const float *a, long rows, long columns, long r0, long r1, float *out) {
    long r = r0;
    for (; r + 16 <= r1; r += 16) {
        long c = 0;
        for (; c + 16 <= columns; c += 16) {
            f32x16 v[16];
            for (int i = 0; i < 16; i++) v[i] = load_f32(a + (r + i) * columns + c);
            transpose16(v);
            for (int i = 0; i < 16; i++) memcpy(out + (c + i) * rows + r, &v[i], sizeof v[i]);
        }
        for (; c < columns; c++)
            for (int i = 0; i < 16; i++) out[c * rows + r + i] = a[(r + i) * columns + c];
    }
    for (; r < r1; r++)
        for (long c = 0; c < columns; c++) out[c * rows + r] = a[r * columns + c];
}
