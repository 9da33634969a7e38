#ifndef MINIMAX_CKERNELS_H
#define MINIMAX_CKERNELS_H

#include <stdint.h>
#include "spin.h"

/// Kernels that Swift's SIMD types cannot express efficiently (zero-extending sixteen 16-bit
/// lanes to 32 bits compiles to a generic call in Swift). Written with clang vector extensions,
/// so they are portable C that the compiler maps onto the target's vector units. Each has a
/// Swift twin in the Kernels module and a test holding them equal.

/// dst[i] = src[i] widened from bf16 to fp32, i < count.
void minimax_widen_bf16(const uint16_t *src, float *dst, long count);

#endif

#ifndef MINIMAX_CKERNELS_MATVEC
#define MINIMAX_CKERNELS_MATVEC
/// out[r] = Σ_i x[i] · w[r·k + i] for r < rows (one token through `rows` weight rows). Each row
/// streams through memory in order into four accumulators, summed once per row with a shuffle tree.
void minimax_matvec_f32(const float *x, const float *w, long k, long rows, float *out);

/// The same with w stored as bf16.
void minimax_matvec_bf16(const float *x, const uint16_t *w, long k, long rows, float *out);
#endif
