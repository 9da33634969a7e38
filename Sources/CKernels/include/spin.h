#ifndef MINIMAX_CKERNELS_SPIN_H
#define MINIMAX_CKERNELS_SPIN_H

/// A hint to the core that the caller is spinning on a memory location (x86 `pause`, Arm `yield`),
/// used by the worker pool while it waits a few microseconds for the next parallel loop.
static inline void minimax_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

#endif
