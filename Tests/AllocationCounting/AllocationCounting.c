#include "AllocationCounting.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

static atomic_long counted;
static atomic_int counting;

#if defined(__linux__) && defined(__GLIBC__)
// glibc exports its allocator under these names as well, so the interposed entry points can
// count and forward without recursion.
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static inline void note(void) {
    if (atomic_load_explicit(&counting, memory_order_relaxed)) atomic_fetch_add_explicit(&counted, 1, memory_order_relaxed);
}

void *malloc(size_t size) { note(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { note(); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { note(); return __libc_realloc(pointer, size); }
void *memalign(size_t alignment, size_t size) { note(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { note(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    note();
    void *pointer = __libc_memalign(alignment, size);
    if (!pointer && size) return 12;  // ENOMEM
    *out = pointer;
    return 0;
}

int minimax_allocation_counting_supported(void) { return 1; }
#else
int minimax_allocation_counting_supported(void) { return 0; }
#endif

void minimax_allocation_counting_start(void) {
    atomic_store(&counted, 0);
    atomic_store(&counting, 1);
}

long minimax_allocation_counting_stop(void) {
    atomic_store(&counting, 0);
    return atomic_load(&counted);
}
