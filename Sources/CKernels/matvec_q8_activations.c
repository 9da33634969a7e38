#include "CKernels.h"
#include "q8act_spans.h"

// The portable twin of the int8-activation products (matvec_q8_activations_vnni.c): the same
// lanes (one block each) and the same exact integer dots, computed with clang vector extensions:
// each weight span is transposed into the activations' lane order once (the VNNI kernel's shuffles
// as `__builtin_shufflevector`), and each lane multiplies its four bytes per 64-byte vector as
// int32. int8 weights stay signed here (the VNNI kernel's w + 128 with the −128 · Σa correction is
// the same integer). The float operations are the VNNI kernel's in the same order (CKernels.h
// spells them out), with explicit FMAs; contraction is off so the compiler fuses nothing else, and
// the results equal the VNNI kernel's bit for bit. The rows are q8act_rows_body.h's.

#pragma clang fp contract(off)

long minimax_q8act_prefetch_rows = 0;

void minimax_q8act_set_prefetch_rows(long rows) { minimax_q8act_prefetch_rows = rows > 0 ? rows : 0; }

/// A weight span as 32 vectors of int32: wb[4n + b] lane j is byte b of the lane's dword n
/// (int8 signed; q4 unsigned nibbles, vector n = 2i the low nibbles of dword i, 2i + 1 the high).
typedef struct { i32x16 wb[32]; } portable_span_weights;

/// Byte b of each dword, sign-extended.
#define SIGNED_BYTE(v, b) ((i32x16)((u32x16)(v) << (24 - 8 * (b))) >> 24)

static inline __attribute__((always_inline)) void portable_int8_span(const int8_t *w, long k, long p, portable_span_weights *out) {
    u32x16 dwords[8];
    int8_span_dwords(w, k, p, dwords);
    for (int n = 0; n < 8; n++) {
        for (int b = 0; b < 4; b++) out->wb[4 * n + b] = SIGNED_BYTE(dwords[n], b);
    }
}

static inline __attribute__((always_inline)) void portable_q4_span(const uint8_t *w, long row_bytes, long p, portable_span_weights *out) {
    u32x16 dwords[4];
    q4_span_dwords(w, row_bytes, p, dwords);
    for (int i = 0; i < 4; i++) {
        for (int b = 0; b < 4; b++) {
            out->wb[8 * i + b] = (i32x16)((dwords[i] >> (8 * b)) & 15);
            out->wb[8 * i + 4 + b] = (i32x16)((dwords[i] >> (8 * b + 4)) & 15);
        }
    }
}

/// The exact integer dot of each lane's block (lane j: block β(j)) of a span's 512 activation codes
/// `a` and the span's weight bytes (either layout: the weights were laid out for it).
static inline __attribute__((always_inline)) i32x16 portable_span_dot(const portable_span_weights *w, const uint8_t *a, int layout) {
    (void)layout;
    i32x16 isum = {0};
    for (int n = 0; n < 8; n++) {
        u32x16 av;
        memcpy(&av, a + 64 * n, sizeof av);
        for (int b = 0; b < 4; b++) isum += w->wb[4 * n + b] * SIGNED_BYTE(av, b);
    }
    return isum;
}
#undef SIGNED_BYTE

#define Q8ACT_ATTR
#define Q8ACT_SUFFIX portable
#define Q8ACT_WEIGHTS portable_span_weights
#define q8act_int8_span portable_int8_span
#define q8act_q4_span portable_q4_span
#define q8act_span_dot portable_span_dot
#include "q8act_rows_body.h"
