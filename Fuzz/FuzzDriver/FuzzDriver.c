// libFuzzer itself comes with -sanitize=fuzzer; this is the one entry point every target's `main`
// calls.
#include "FuzzDriver.h"

// Defined by the fuzz target linked with this file (`@_cdecl("LLVMFuzzerTestOneInput")`).
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int minimax_fuzz_main(int argc, char **argv) { return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput); }
