#include "CKernels.h"
#include "q8_activations.h"
#include "vector.h"

// Prompts on AVX-512 VNNI: the int8-activation products of matvec_q8_activations_vnni.c with the
// weight rows prepared once per panel instead of once per block of activation rows. Each panel of
// weight rows (~256 KB prepared) is shuffled into the activations' lane order (and, for int8, moved
// to w + 128) with its group values as fp32 lane vectors, into the caller's scratch; then every
// block of eight activation rows (copied span-major, four spans at a time so that the copy stays in
// L1 at any k) meets it two weight rows at a time, as two halves of four rows:
// each loaded activation vector feeds two `vpdpbusd` and each weight vector four, 0.75 loads a
// `vpdpbusd` where the one-row kernel needs 1.4 plus the shuffles. A lane's integer sums are exact,
// so their order is free; the float work per output is the one-row kernel's, operation for
// operation (CKernels.h), so the results are its bits (and the portable twin's).

#if defined(__x86_64__)

#include "q8act_vnni.h"

/// A prepared weight row: per span, eight 64-byte code vectors in lane order (int8: w + 128; q4:
/// its nibbles as bytes), then the scales as 16 fp32 lanes, then (q4) the minimums.
static inline long panel_span_bytes(int q4) { return 8 * 64 + (q4 ? 2 : 1) * 64; }
static inline long panel_row_bytes(long k, int q4) { return q8_spans(k) * panel_span_bytes(q4); }

/// Weight rows per panel: an even count whose prepared rows take about 256 KB (at least two).
static inline long panel_rows(long k, int q4) {
    const long rows = (1L << 18) / panel_row_bytes(k, q4);
    return rows < 2 ? 2 : rows / 2 * 2;
}

/// A pair's float sums between chunks of spans: eight 16-lane vectors (acc), then eight more (macc,
/// q4). state_vectors of them per pair and half block.
static inline long state_vectors(int q4) { return q4 ? 16 : 8; }

/// Scratch: the prepared panel, then the sums of each pair of its rows and half block (16 or 32
/// vectors a pair).
long minimax_q8act_vnni_panel_scratch_bytes(long k, int q4) {
    return panel_rows(k, q4) * (panel_row_bytes(k, q4) + state_vectors(q4) * 64);
}

VNNI_TARGET static void prepare_int8_row(const int8_t *w, const uint16_t *scales, long group, long k, uint8_t *dst) {
    const long spans = q8_spans(k), whole_spans = k / MINIMAX_Q8_SPAN;
    for (long p = 0; p < spans; p++, dst += panel_span_bytes(0)) {
        __m512i v[8];
        int8_span_weights(w, k, p, p < whole_spans, v);
        for (int n = 0; n < 8; n++) _mm512_store_si512(dst + 64 * n, v[n]);
        _mm512_store_ps(dst + 512, group >= k ? _mm512_setzero_ps() : lane_values(scales, group, k, p));
    }
}

VNNI_TARGET static void prepare_q4_row(
    const uint8_t *w, const uint16_t *scales, const uint16_t *mins, long group, long k, uint8_t *dst) {
    const long spans = q8_spans(k), whole_spans = k / MINIMAX_Q8_SPAN, row_bytes = (k + 1) / 2;
    for (long p = 0; p < spans; p++, dst += panel_span_bytes(1)) {
        __m512i v[8];
        q4_span_weights(w, row_bytes, p, p < whole_spans, v);
        for (int n = 0; n < 8; n++) _mm512_store_si512(dst + 64 * n, v[n]);
        _mm512_store_ps(dst + 512, lane_values(scales, group, k, p));
        _mm512_store_ps(dst + 576, lane_values(mins, group, k, p));
    }
}

/// Span p's exact integer dots for two prepared weight rows (w[0], w[1] at the span) and four
/// activation rows (codes at c, code_row apart): is[4i + t] for weight row i and activation row t.
/// The loop over the eight vectors stays rolled: unrolled, clang hoists all 32 activation loads
/// and spills.
VNNI_TARGET static ALWAYS_INLINE void span_dots_2x4(__m512i is[8], const uint8_t *const w[2], const uint8_t *c, long code_row) {
#pragma clang loop unroll(disable)
    for (int n = 0; n < 8; n++) {
        const __m512i w0 = _mm512_load_si512(w[0] + 64 * n), w1 = _mm512_load_si512(w[1] + 64 * n);
        for (int t = 0; t < 4; t++) {
            const __m512i a = _mm512_loadu_si512(c + t * code_row + 64 * n);
            is[t] = _mm512_dpbusd_epi32(is[t], w0, a);
            is[4 + t] = _mm512_dpbusd_epi32(is[4 + t], w1, a);
        }
    }
}

/// acc (and macc) for spans from `first` on: zero at the row's start, else as the last chunk left them.
VNNI_TARGET static ALWAYS_INLINE void load_sums(__m512 *sums, int count, long first, const float *state) {
    for (int i = 0; i < count; i++) sums[i] = first == 0 ? _mm512_setzero_ps() : _mm512_load_ps(state + 16 * i);
}

VNNI_TARGET static ALWAYS_INLINE void store_sums(const __m512 *sums, int count, float *state) {
    for (int i = 0; i < count; i++) _mm512_store_ps(state + 16 * i, sums[i]);
}

/// Prepared int8 weight rows r and r + 1 (`row`, `row + row_bytes`; with one group per row, their
/// bf16 scales at scales[0] and scales[groups]) against activation rows t0…t0 + 3 of the block at
/// `at`, over spans first…first + count − 1 (the block's tile spans 0…count − 1). The last chunk
/// of the row writes out[t · out_stride + i] for t < 4 (relative to t0), i < 2; earlier ones leave
/// their sums in `state`.
VNNI_TARGET static ALWAYS_INLINE void int8_rows_2x4(
    const q8act_block_at at, long t0, const uint8_t *row, long row_bytes, const uint16_t *scales, long groups,
    long group, long k, long first, long count, float *state, float *out, long out_stride) {
    const int one_group = group >= k;
    __m512 acc[8];
    load_sums(acc, 8, first, state);
    for (long q = 0; q < count; q++) {
        const long p = first + q;
        const uint8_t *w[2] = {row + p * panel_span_bytes(0), row + row_bytes + p * panel_span_bytes(0)};
        __m512i is[8];
        for (int t = 0; t < 4; t++) is[t] = is[4 + t] = _mm512_loadu_si512(at.corr + (t0 + t) * at.meta_row + q * at.meta_span);
        span_dots_2x4(is, w, at.codes + t0 * at.code_row + q * at.code_span, at.code_row);
        for (int i = 0; i < 2; i++) {
            const __m512 s = _mm512_load_ps(w[i] + 512);
            for (int t = 0; t < 4; t++) {
                const __m512 d = _mm512_loadu_ps(at.d + (t0 + t) * at.meta_row + q * at.meta_span);
                acc[4 * i + t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[4 * i + t]), one_group ? d : _mm512_mul_ps(d, s), acc[4 * i + t]);
            }
        }
    }
    if (first + count < q8_spans(k)) {
        store_sums(acc, 8, state);
        return;
    }
    float sums[8];
    reduce_eight(acc, sums);
    for (int i = 0; i < 2; i++) {
        const float scale = one_group ? bf16_scalar(scales[i * groups]) : 1.0f;
        for (int t = 0; t < 4; t++) out[t * out_stride + i] = one_group ? sums[4 * i + t] * scale : sums[4 * i + t];
    }
}

/// As int8_rows_2x4 for prepared q4 rows: out = reduce(acc) + reduce(macc).
VNNI_TARGET static ALWAYS_INLINE void q4_rows_2x4(
    const q8act_block_at at, long t0, const uint8_t *row, long row_bytes, long k, long first, long count, float *state,
    float *out, long out_stride) {
    __m512 acc[8], macc[8];
    load_sums(acc, 8, first, state);
    load_sums(macc, 8, first, state + 8 * 16);
    for (long q = 0; q < count; q++) {
        const long p = first + q;
        const uint8_t *w[2] = {row + p * panel_span_bytes(1), row + row_bytes + p * panel_span_bytes(1)};
        __m512i is[8];
        for (int i = 0; i < 8; i++) is[i] = _mm512_setzero_si512();
        span_dots_2x4(is, w, at.codes + t0 * at.code_row + q * at.code_span, at.code_row);
        for (int i = 0; i < 2; i++) {
            const __m512 s = _mm512_load_ps(w[i] + 512), m = _mm512_load_ps(w[i] + 576);
            for (int t = 0; t < 4; t++) {
                const long meta = (t0 + t) * at.meta_row + q * at.meta_span;
                const __m512 ds = _mm512_mul_ps(_mm512_loadu_ps(at.d + meta), s);
                acc[4 * i + t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[4 * i + t]), ds, acc[4 * i + t]);
                macc[4 * i + t] = _mm512_fmadd_ps(m, _mm512_loadu_ps(at.sums + meta), macc[4 * i + t]);
            }
        }
    }
    if (first + count < q8_spans(k)) {
        store_sums(acc, 8, state);
        store_sums(macc, 8, state + 8 * 16);
        return;
    }
    float sums[8], msums[8];
    reduce_eight(acc, sums);
    reduce_eight(macc, msums);
    for (int i = 0; i < 2; i++)
        for (int t = 0; t < 4; t++) out[t * out_stride + i] = sums[4 * i + t] + msums[4 * i + t];
}

/// Activation rows from which preparing the panel pays: two blocks. Measured on AMD Zen 4 (2
/// threads, int8 weights 1024 × 65536, bench-kernels, three alternating rounds): 12 rows ran at
/// 0.93–0.97× the one-row kernel, 16 at 0.78–1.05×, 32 at 1.05–1.09×; prompts of 512 at ~1.25×.
#define PANEL_MIN_ROWS (2 * Q8ACT_ROWS_PER_BLOCK)

/// Spans per chunk: as many as eight rows' tile spans fit the L1 budget (4).
#define CHUNK_SPANS (Q8ACT_L1_BUDGET / Q8ACT_TILE_SPAN)
_Static_assert(CHUNK_SPANS >= 1, "a chunk holds at least one span");

// The panel loop: weight rows in panels (prepared into scratch, the pairs' sums after them), the
// activation rows in blocks of eight, each block's whole halves of four copied span-major
// (q8act_tile_layout) a chunk of spans at a time and met by each pair of weight rows (PAIR). The
// rest take the one-row kernel (ROW_AT, reading the activations in their own layout at `at`):
// a block's last rows short of a half against the pairs, all its rows against a panel's odd last
// row. Fewer than PANEL_MIN_ROWS activation rows go to FALLBACK.
#define PANEL_LOOP(Q4, PREPARE, PAIR, ROW_AT, FALLBACK)                                                    \
    if (act_rows < PANEL_MIN_ROWS) {                                                                       \
        FALLBACK;                                                                                          \
        return;                                                                                            \
    }                                                                                                      \
    const long spans = q8_spans(k), act_bytes = minimax_q8_activation_row_bytes(k);                        \
    const long prepared_bytes = panel_row_bytes(k, Q4), panel = panel_rows(k, Q4);                         \
    float *state = (float *)(void *)(scratch + panel * prepared_bytes);                                    \
    uint8_t tile[Q8ACT_L1_BUDGET] __attribute__((aligned(64)));                                            \
    for (long r0 = 0; r0 < rows; r0 += panel) {                                                            \
        const long r1 = r0 + panel < rows ? r0 + panel : rows, pairs_end = r0 + (r1 - r0) / 2 * 2;        \
        for (long r = r0; r < r1; r++) PREPARE;                                                            \
        for (long t0 = 0; t0 < act_rows; t0 += 8) {                                                        \
            const long nb = act_rows - t0 < 8 ? act_rows - t0 : 8, halved = nb / 4 * 4;                   \
            for (long first = 0; halved > 0 && first < spans; first += CHUNK_SPANS) {                      \
                const long count = spans - first < CHUNK_SPANS ? spans - first : CHUNK_SPANS;              \
                q8act_copy_to_tile(act + t0 * act_bytes, act_bytes, halved, spans, first, count, tile);    \
                const q8act_block_at at = q8act_tile_layout(tile);                                         \
                for (long r = r0; r < pairs_end; r += 2) {                                                 \
                    const uint8_t *prepared = scratch + (r - r0) * prepared_bytes;                         \
                    _Pragma("clang loop unroll(disable)") for (long h = 0; h < halved; h += 4) {           \
                        float *sums = state + ((r - r0) + h / 4) * state_vectors(Q4) * 16;                 \
                        PAIR;                                                                              \
                    }                                                                                      \
                }                                                                                          \
            }                                                                                              \
            if (nb > halved) {                                                                             \
                const long t = t0 + halved;                                                                \
                const q8act_block_at at = q8act_rows_layout(act + t * act_bytes, act_bytes, spans);   \
                for (long r = r0; r < pairs_end; r++) {                                                    \
                    float *o = out + t * out_stride + r;                                                   \
                    Q8ACT_UP_TO_EIGHT_ROWS(nb - halved, ROW_AT)                                            \
                }                                                                                          \
            }                                                                                              \
            const q8act_block_at at = q8act_rows_layout(act + t0 * act_bytes, act_bytes, spans);      \
            for (long r = pairs_end; r < r1; r++) {                                                        \
                float *o = out + t0 * out_stride + r;                                                      \
                Q8ACT_UP_TO_EIGHT_ROWS(nb, ROW_AT)                                                         \
            }                                                                                              \
        }                                                                                                  \
    }

#define INT8_PREPARE prepare_int8_row(codes + r * k, scales + r * groups, group, k, scratch + (r - r0) * prepared_bytes)
#define INT8_PAIR                                                                                 \
    int8_rows_2x4(at, h, prepared, prepared_bytes, scales + r * groups, groups, group, k, first, count, sums, \
                  out + (t0 + h) * out_stride + r, out_stride)
#define Q4_PREPARE \
    prepare_q4_row(codes + r * row_bytes, scales + r * groups, mins + r * groups, group, k, scratch + (r - r0) * prepared_bytes)
#define Q4_PAIR q4_rows_2x4(at, h, prepared, prepared_bytes, k, first, count, sums, out + (t0 + h) * out_stride + r, out_stride)

VNNI_TARGET void minimax_q8act_panel_int8_vnni(
    const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group, long rows,
    float *out, long out_stride, uint8_t *scratch) {
    const long groups = (k + group - 1) / group;
    PANEL_LOOP(0, INT8_PREPARE, INT8_PAIR, Q8ACT_INT8_ROWS_AT,
               minimax_q8act_matvec_rows_int8_vnni(act, act_rows, k, codes, scales, group, rows, out, out_stride))
}

VNNI_TARGET void minimax_q8act_panel_q4_vnni(
    const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long rows, float *out, long out_stride, uint8_t *scratch) {
    const long groups = (k + group - 1) / group, row_bytes = (k + 1) / 2;
    PANEL_LOOP(1, Q4_PREPARE, Q4_PAIR, Q8ACT_Q4_ROWS_AT,
               minimax_q8act_matvec_rows_q4_vnni(act, act_rows, k, codes, scales, mins, group, rows, out, out_stride))
}

#else  // not x86-64: `KernelPath` never selects these.

long minimax_q8act_vnni_panel_scratch_bytes(long k, int q4) {
    (void)k; (void)q4;
    return 64;
}

void minimax_q8act_panel_int8_vnni(
    const uint8_t *act, long act_rows, long k, const int8_t *codes, const uint16_t *scales, long group, long rows,
    float *out, long out_stride, uint8_t *scratch) {
    (void)act; (void)act_rows; (void)k; (void)codes; (void)scales; (void)group; (void)rows; (void)out; (void)out_stride;
    (void)scratch;
    __builtin_trap();
}

void minimax_q8act_panel_q4_vnni(
    const uint8_t *act, long act_rows, long k, const uint8_t *codes, const uint16_t *scales, const uint16_t *mins,
    long group, long rows, float *out, long out_stride, uint8_t *scratch) {
    (void)act; (void)act_rows; (void)k; (void)codes; (void)scales; (void)mins; (void)group; (void)rows; (void)out;
    (void)out_stride; (void)scratch;
    __builtin_trap();
}

#endif
