#!/usr/bin/env bash
# On a machine with the repository and a bundle from scripts/bench/portable_bundle.sh: the kernel
# checks that need that machine's CPU (AMX tiles above all), as one log.
#   1. the AMX, bf16 and int8-activation kernel tests and the engine's batch-invariance tests, on
#      the instructions (they run the tile model too and compare);
#   2. bench-kernels for bf16 and int8 weights (tile peaks, the tile-load probe, each AMX product's
#      share of the peak and its parts: packing, store, copy, loads; vdpbf16ps / VNNI next to
#      them), then the same on MINIMAX_KERNEL=vnni;
#   3. with a Python that has torch and transformers (PYTHON, default python3): bench-small bf16
#      prefill at 512 / 4096 tokens, ours (--precision bf16) against transformers bf16, and
#      --precision int8 prefill of its int8 copy, on THREADS threads (default 2).
#
#   scripts/bench/amx_check.sh BUNDLE_DIR [LOG]        # LOG default: amx-check.log
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUNDLE_DIR [LOG]" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
bundle="$(cd "$1" && pwd)"
log="${2:-amx-check.log}"
threads="${THREADS:-2}"
python="${PYTHON:-python3}"
exec > >(tee "$log") 2>&1
start=$(date +%s)
step() { echo; echo "== [$(( $(date +%s) - start )) s] $*"; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"

step "cpu"
grep -m1 'model name' /proc/cpuinfo
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(amx|avx512_bf16|avx512_vnni|avx_vnni|avx512_fp16)' | tr '\n' ' '; echo
xz -d -c "$bundle/minimax.xz" > "$work/minimax" && chmod +x "$work/minimax"
minimax="$work/minimax"

if [ -f "$bundle/tests.tar.xz" ]; then
  step "kernel tests on this CPU"
  tar -C "$work" -xJf "$bundle/tests.tar.xz"
  LD_LIBRARY_PATH="$work/tests/lib" "$work/tests/MiniMaxSwiftPackageTests.xctest" \
    KernelsTests.BFloat16DotMatMulTests,KernelsTests.AMXSelfCheckTests,KernelsTests.AMXBFloat16MatMulTests,KernelsTests.QuantizedBFloat16Tests,KernelsTests.QuantizedActivationTests,KernelsTests.KernelTwinTests,MiniMaxTests.BatchInvarianceTests \
    2>&1 | grep -E "error|skipped:|Executed"
fi

for path in default vnni; do
  step "bench-kernels, kernel path $path, $threads threads"
  if [ "$path" = default ]; then
    "$minimax" bench-kernels --threads "$threads" --amx-loads --amx-parts --dtypes bfloat16,int8 --shapes "512,1024,1536;2048,2048,2048"
  else
    MINIMAX_KERNEL=vnni "$minimax" bench-kernels --threads "$threads" --dtypes bfloat16,int8 --shapes "512,1024,1536;2048,2048,2048"
  fi
done

if "$python" -c "import torch, transformers" 2>/dev/null; then
  step "bench-small bf16 (scripts/bench/make_models.py) and its int8 copy"
  "$python" scripts/bench/make_models.py --out "$work/models" --only bench-small-bf16 --threads "$threads" | tail -1
  model="$work/models/bench-small-bf16"
  "$minimax" quantize --model "$model" --out "$model-int8-all" --type int8 --scope all
  step "prefill: transformers bf16, $threads threads"
  "$python" scripts/bench/hf_bench.py --model "$model" --dtype bfloat16 --threads "$threads" --prompt-tokens 512,4096 --decode-tokens 8 | grep "prefill"
  # int8-all under --precision int8: prompt rows on the bf16 tiles (dequantized weights, the
  # default), then on the int8-activation kernels (MINIMAX_QUANTIZED_TILED_BF16=0).
  for run in bf16 int8 int8-integer; do
    precision=${run%-integer}; dir="$model"; [ "$precision" = int8 ] && dir="$model-int8-all"
    tiled=1; [ "$run" = int8-integer ] && tiled=0
    step "prefill: ours --precision $precision (MINIMAX_QUANTIZED_TILED_BF16=$tiled), $threads threads"
    MINIMAX_QUANTIZED_TILED_BF16=$tiled "$minimax" bench --model "$dir" --threads "$threads" --precision "$precision" \
      --prompt-tokens 512,4096 --decode-tokens 8 --skip-bandwidth \
      | grep -E "kernel path|--precision bf16 tiled|int8/q4 tiled rows|int8-activation|^prefill"
  done
else
  step "no torch + transformers in $python: prefill comparison skipped"
fi
step "done"
