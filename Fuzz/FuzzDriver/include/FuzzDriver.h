// libFuzzer's driver, called from each target's `main`. SwiftPM links an executable through a
// renamed `<Module>_main` entry point, so the targets cannot rely on libFuzzer's own `main`.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// Runs libFuzzer with the target's `LLVMFuzzerTestOneInput` (each target defines it with
/// `@_cdecl`) on the command line's arguments; returns the process's exit code.
int minimax_fuzz_main(int argc, char **argv);
