#include "CKernels.h"
#include <string.h>

// CPU feature detection, once, in one place: cpuid says what the core implements, XGETBV whether
// the OS saves the registers those instructions use (a feature the OS does not enable faults like
// a missing one), and for AMX the kernel must also grant the process its tile state
// (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)); a refusal means "no AMX".

#if defined(__x86_64__)

#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

static unsigned long long read_xcr0(void) {
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((unsigned long long)high << 32) | low;
}

/// Asks Linux for the AMX tile data state; 1 when granted (or already granted).
static int request_amx_permission(void) {
#if defined(__linux__)
    const long arch_req_xcomp_perm = 0x1023, xfeature_xtiledata = 18;
    return syscall(SYS_arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata) == 0;
#else
    return 0;
#endif
}

uint32_t minimax_cpu_features(void) {
    unsigned eax, ebx, ecx, edx;
    uint32_t features = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return 0;
    const int has_fma = (ecx >> 12) & 1;
    unsigned long long xcr0 = read_xcr0();
    // XCR0: bits 1-2 SSE/AVX state; 5-7 opmask and ZMM state; 17-18 AMX tile config and data.
    const int os_avx = (xcr0 & 0x6) == 0x6;
    const int os_avx512 = os_avx && (xcr0 & 0xE0) == 0xE0;
    const int os_amx = (xcr0 & 0x60000) == 0x60000;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned leaf7_ebx = ebx, leaf7_ecx = ecx, leaf7_edx = edx;
    unsigned leaf7_1_eax = 0;
    if (eax >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) leaf7_1_eax = eax;
    if (os_avx && ((leaf7_ebx >> 5) & 1)) features |= MINIMAX_CPU_AVX2;
    if (os_avx && has_fma) features |= MINIMAX_CPU_FMA;
    if (os_avx && ((leaf7_1_eax >> 4) & 1)) features |= MINIMAX_CPU_AVX_VNNI;
    if (os_avx512) {
        if ((leaf7_ebx >> 16) & 1) features |= MINIMAX_CPU_AVX512F;
        if ((leaf7_ebx >> 30) & 1) features |= MINIMAX_CPU_AVX512BW;
        if ((leaf7_ebx >> 31) & 1) features |= MINIMAX_CPU_AVX512VL;
        if ((leaf7_ecx >> 11) & 1) features |= MINIMAX_CPU_AVX512_VNNI;
        if ((leaf7_1_eax >> 5) & 1) features |= MINIMAX_CPU_AVX512_BF16;
    }
    const unsigned amx = (leaf7_edx >> 22) & 1 ? MINIMAX_CPU_AMX_BF16 : 0;
    const unsigned amx_tile = (leaf7_edx >> 24) & 1, amx_int8 = (leaf7_edx >> 25) & 1;
    if (os_amx && amx_tile && request_amx_permission()) {
        features |= MINIMAX_CPU_AMX_TILE | amx | (amx_int8 ? MINIMAX_CPU_AMX_INT8 : 0);
    }
    return features;
}

int minimax_cpu_vendor(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return MINIMAX_CPU_VENDOR_OTHER;
    char name[12];  // "GenuineIntel" / "AuthenticAMD", in ebx, edx, ecx
    memcpy(name, &ebx, 4);
    memcpy(name + 4, &edx, 4);
    memcpy(name + 8, &ecx, 4);
    if (memcmp(name, "GenuineIntel", 12) == 0) return MINIMAX_CPU_VENDOR_INTEL;
    if (memcmp(name, "AuthenticAMD", 12) == 0) return MINIMAX_CPU_VENDOR_AMD;
    return MINIMAX_CPU_VENDOR_OTHER;
}

#else  // not x86-64: the portable kernels only.

uint32_t minimax_cpu_features(void) { return 0; }

int minimax_cpu_vendor(void) { return MINIMAX_CPU_VENDOR_OTHER; }

#endif
