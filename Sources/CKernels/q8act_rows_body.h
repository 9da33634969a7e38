// The rows of the int8-activation products, included by the portable kernel and its AVX2 and
// AVX-VNNI versions (matvec_q8_activations.c, matvec_q8_activations_avx2.c, _avxvnni.c): the same
// float operations in the same order (CKernels.h spells them out), so all give the same bits. The including file defines
//   Q8ACT_ATTR          the functions' attributes (a target, or nothing);
//   Q8ACT_SUFFIX        the exported functions' suffix (CKernels.h);
//   Q8ACT_WEIGHTS       the type holding one span of a weight row, prepared once per span;
//   q8act_int8_span(w, k, p, W), q8act_q4_span(w, row_bytes, p, W): prepare it;
//   q8act_span_dot(W, a, layout): i32x16, lane j the exact integer dot of block β(j) of the span
//     and the span's 512 activation codes at a.
// The rows are read through a q8act_block_at (q8_activations.h): the activations' own layout for
// decode, span-major copies of blocks of eight for prompts (Q8ACT_TILED_LOOP).

Q8ACT_ATTR static inline __attribute__((always_inline)) void q8act_int8_rows_at(
    const q8act_block_at at, const int nt, const int8_t *w, const uint16_t *scales, long group, long k,
    float *out, long out_stride) {
    const long spans = q8_spans(k);
    const int one_group = group >= k;
    f32x16 acc[Q8ACT_ROWS_PER_BLOCK] = {{0}};
    for (long p = 0; p < spans; p++) {
        Q8ACT_WEIGHTS wb;
        q8act_int8_span(w, k, p, &wb);
        const f32x16 s = one_group ? (f32x16){0} : lane_group_values(scales, group, k, p);
        for (int t = 0; t < nt; t++) {
            const i32x16 isum = q8act_span_dot(&wb, at.codes + t * at.code_row + p * at.code_span, MINIMAX_Q8_LAYOUT_INT8);
            const f32x16 d = load_f32(at.d + t * at.meta_row + p * at.meta_span), ds = one_group ? d : d * s;
            acc[t] = __builtin_elementwise_fma(__builtin_convertvector(isum, f32x16), ds, acc[t]);
        }
    }
    for (int t = 0; t < nt; t++) {
        const float sum = reduce(acc[t]);
        out[t * out_stride] = one_group ? sum * bf16_scalar(scales[0]) : sum;
    }
}

Q8ACT_ATTR static inline __attribute__((always_inline)) void q8act_q4_rows_at(
    const q8act_block_at at, const int nt, const uint8_t *w, const uint16_t *scales, const uint16_t *mins,
    long group, long k, float *out, long out_stride) {
    const long spans = q8_spans(k), row_bytes = (k + 1) / 2;
    f32x16 acc[Q8ACT_ROWS_PER_BLOCK] = {{0}}, macc[Q8ACT_ROWS_PER_BLOCK] = {{0}};
    for (long p = 0; p < spans; p++) {
        Q8ACT_WEIGHTS wb;
        q8act_q4_span(w, row_bytes, p, &wb);
        const f32x16 s = lane_group_values(scales, group, k, p), m = lane_group_values(mins, group, k, p);
        for (int t = 0; t < nt; t++) {
            const long meta = t * at.meta_row + p * at.meta_span;
            const i32x16 isum = q8act_span_dot(&wb, at.codes + t * at.code_row + p * at.code_span, MINIMAX_Q8_LAYOUT_Q4);
            const f32x16 ds = load_f32(at.d + meta) * s;
            acc[t] = __builtin_elementwise_fma(__builtin_convertvector(isum, f32x16), ds, acc[t]);
            macc[t] = __builtin_elementwise_fma(m, load_f32(at.sums + meta), macc[t]);
        }
    }
    for (int t = 0; t < nt; t++) out[t * out_stride] = reduce(acc[t]) + reduce(macc[t]);
}

Q8ACT_EXPORTS(Q8ACT_ATTR, Q8ACT_SUFFIX)
