// Declarations only (include/FuzzDriver.h); libFuzzer itself comes with -sanitize=fuzzer.
#include "FuzzDriver.h"
