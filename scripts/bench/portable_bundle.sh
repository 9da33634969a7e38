#!/usr/bin/env bash
# Builds what a kernel check on another x86-64 machine needs (one without a Swift toolchain, an
# Intel Xeon with AMX say) into OUT_DIR:
#   minimax.xz        the release binary, Swift runtime linked in statically
#   tests.tar.xz      the debug test bundle (tests/MiniMaxSwiftPackageTests.xctest) with the
#                     Swift runtime libraries it loads (tests/lib)
# Both are built for MINIMAX_TARGET_CPU (default skylake-avx512: AVX-512 in the Swift kernels;
# the bf16 / VNNI / AMX kernels pick themselves at run time), in their own build folders
# (.build-static, .build-devtest). Then copy OUT_DIR and the repository to the machine and run
# scripts/bench/amx_check.sh there.
#
#   scripts/bench/portable_bundle.sh OUT_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
target="${MINIMAX_TARGET_CPU:-skylake-avx512}"
cd "$root"
MINIMAX_TARGET_CPU="$target" swift build -c release --static-swift-stdlib --scratch-path .build-static --product minimax
MINIMAX_TARGET_CPU="$target" swift build --build-tests --scratch-path .build-devtest
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp .build-static/release/minimax "$staging/minimax"
strip "$staging/minimax"
xz -6 -T0 -c "$staging/minimax" > "$out/minimax.xz.tmp" && mv "$out/minimax.xz.tmp" "$out/minimax.xz"
mkdir -p "$staging/tests/lib"
bundle=.build-devtest/debug/MiniMaxSwiftPackageTests.xctest
cp "$bundle" "$staging/tests/"
strip "$staging/tests/MiniMaxSwiftPackageTests.xctest"
# The toolchain's own libraries the bundle loads (the system's C and C++ libraries stay behind).
toolchain_lib="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib"
ldd "$bundle" | awk '{print $3}' | grep "^$toolchain_lib/" | while read -r lib; do cp "$lib" "$staging/tests/lib/"; done
tar -C "$staging" -cf - tests | xz -6 -T0 > "$out/tests.tar.xz.tmp" && mv "$out/tests.tar.xz.tmp" "$out/tests.tar.xz"
ls -l "$out"
