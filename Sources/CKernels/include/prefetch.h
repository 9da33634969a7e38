#ifndef MINIMAX_CKERNELS_PREFETCH_H
#define MINIMAX_CKERNELS_PREFETCH_H

#include <stdint.h>

/// Memory for a kernel to fetch into L2 while it computes: `rows` runs of `bytes` bytes, the first
/// at `base`, each `stride` bytes after the last (the weight rows of the panel packed next).
///
/// The tiled products pack each weight panel just before its products, and the weights stream
/// from memory once per call: packing straight from DRAM stalled on every cache line (the panel's
/// 32 rows are too many streams for the hardware prefetchers). The products themselves are
/// compute-bound, so fetching the next panel's rows a line every few steps while they run hides
/// that wait. Prefetches change no result.
typedef struct {
    const void *base;
    long stride;
    long rows;
    long bytes;
} minimax_prefetch_rows;

/// A walk over the cache lines of a `minimax_prefetch_rows`, one prefetch every `step` advances.
typedef struct {
    const char *row, *line, *end;
    long stride, bytes, rows_left, step, countdown;
} minimax_prefetch_cursor;

/// A cursor that spreads the lines of `next` (NULL: none) over the first three quarters of `work`
/// advances, so the last lines still arrive in time.
static inline minimax_prefetch_cursor minimax_prefetch_start(const minimax_prefetch_rows *next, long work) {
    minimax_prefetch_cursor c = {0};
    if (!next || !next->base || next->rows <= 0 || next->bytes <= 0) return c;
    c.row = (const char *)next->base;
    c.line = (const char *)((uintptr_t)c.row & ~(uintptr_t)63);
    c.end = c.row + next->bytes;
    c.stride = next->stride;
    c.bytes = next->bytes;
    c.rows_left = next->rows;
    long lines = next->rows * (next->bytes / 64 + 2);
    c.step = work * 3 / 4 / lines;
    if (c.step < 1) c.step = 1;
    c.countdown = c.step;
    return c;
}

/// One step of the walk: every `step`-th call prefetches the next line into L2.
static inline __attribute__((always_inline)) void minimax_prefetch_advance(minimax_prefetch_cursor *c) {
    if (c->rows_left <= 0 || --c->countdown > 0) return;
    c->countdown = c->step;
    __builtin_prefetch(c->line, 0, 2);
    c->line += 64;
    if (c->line >= c->end) {
        if (--c->rows_left <= 0) return;
        c->row += c->stride;
        c->line = (const char *)((uintptr_t)c->row & ~(uintptr_t)63);
        c->end = c->row + c->bytes;
    }
}

#endif
