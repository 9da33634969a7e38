#include "CKernels.h"
#include "q8_activations.h"
#include "vector.h"

// The int8-activation products on AVX-512 VNNI: `vpdpbusd` multiplies 64 unsigned by 64 signed
// bytes into sixteen exact int32 lane sums. The activations are stored with each span's 16 blocks
// transposed into the 16 lanes (CKernels.h), and each weight span is shuffled into the same order
// once (24 shuffles, shared by up to eight activation rows), so eight `vpdpbusd` leave each lane
// the exact dot of a whole block and the float work is one convert and one FMA per span and row.
// int8 weights are the unsigned operand as w + 128, the activations' stored −128 · Σa starting the
// sum; q4 nibbles are unsigned already. The float arithmetic is the portable twin's
// (matvec_q8_activations.c), operation for operation, as CKernels.h defines it.

#if defined(__x86_64__)

#include "q8act_vnni.h"

Q8ACT_EXPORTS(VNNI_TARGET, vnni)

#else  // not x86-64: `KernelPath` never selects these.

Q8ACT_TRAP_EXPORTS(vnni)

#endif
