#!/usr/bin/env bash
# Runs the libFuzzer targets in Fuzz/ (see docs/fuzzing.md).
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags…]   one target
#   scripts/fuzz.sh all SECONDS                         every target, SECONDS each
#   scripts/fuzz.sh --check                             exit 0 if this toolchain can build them
# Targets: config safetensors tokenizer legacy chat request.
# Builds with `swift build -Xswiftc -sanitize=fuzzer` into .build/fuzz (MINIMAX_FUZZ=1 adds the
# targets to the package). The committed seeds (Fuzz/Corpus/TARGET) are read, never written;
# what the fuzzer finds goes to .build/fuzz/corpus/TARGET, crashes to .build/fuzz/artifacts/.
# Set FUZZ_NICE=19 to run at the lowest priority on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A products=(
    [config]=FuzzConfig [safetensors]=FuzzSafeTensors [tokenizer]=FuzzTokenizer
    [legacy]=FuzzLegacyTokenizer [chat]=FuzzChat [request]=FuzzRequest
)
order=(config safetensors tokenizer legacy chat request)
scratch=.build/fuzz

# Whether swiftc links a -sanitize=fuzzer program (the fuzzer runtime ships with the
# toolchain on Linux, not with Xcode's).
toolchain_has_fuzzer() {
    local dir
    dir=$(mktemp -d)
    printf '@_cdecl("LLVMFuzzerTestOneInput") public func f(_ d: UnsafePointer<UInt8>?, _ n: Int) -> CInt { 0 }\n' > "$dir/t.swift"
    if swiftc -sanitize=fuzzer -parse-as-library "$dir/t.swift" -o "$dir/t" >/dev/null 2>&1; then
        rm -rf "$dir"; return 0
    fi
    rm -rf "$dir"; return 1
}

build() {
    # One product per invocation: `swift build` takes a single --product.
    for product in "$@"; do
        MINIMAX_FUZZ=1 swift build --scratch-path "$scratch" --product "$product" -Xswiftc -sanitize=fuzzer >&2
    done
}

run_target() {
    local target=$1 seconds=$2; shift 2
    local product=${products[$target]:-}
    [[ -n $product ]] || { echo "unknown target '$target' (${order[*]})" >&2; exit 2; }
    local work="$scratch/corpus/$target" artifacts="$scratch/artifacts/$target/"
    mkdir -p "$work" "$artifacts"
    echo "== fuzz $target for ${seconds}s" >&2
    # -rss_limit_mb: a parser that balloons on a small input is a finding;
    # -timeout: so is one input that takes more than 10 s.
    nice -n "${FUZZ_NICE:-0}" "$scratch/debug/$product" -max_total_time="$seconds" -max_len=65536 \
        -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts" \
        "$@" "$work" "Fuzz/Corpus/$target"
}

case "${1:-}" in
    --check) toolchain_has_fuzzer; exit ;;
    ""|-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
esac
target=$1 seconds=${2:-60}; shift $(( $# < 2 ? $# : 2 ))
if ! toolchain_has_fuzzer; then
    echo "fuzz: this toolchain cannot link -sanitize=fuzzer programs (no libFuzzer runtime); skipped" >&2
    exit 0
fi
if [[ $target == all ]]; then
    build "${products[@]}"
    for t in "${order[@]}"; do run_target "$t" "$seconds" "$@"; done
else
    build "${products[$target]:?unknown target $target}"
    run_target "$target" "$seconds" "$@"
fi
