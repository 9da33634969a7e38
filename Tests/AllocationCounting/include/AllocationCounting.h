#ifndef MINIMAX_ALLOCATION_COUNTING_H
#define MINIMAX_ALLOCATION_COUNTING_H

/// Counts heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made
/// by any thread of the test process while counting is on. Works by interposing the allocator on
/// Linux with glibc; elsewhere `minimax_allocation_counting_supported` returns 0.
int minimax_allocation_counting_supported(void);
void minimax_allocation_counting_start(void);
/// Stops counting and returns the number of allocations since the start.
long minimax_allocation_counting_stop(void);

#endif
