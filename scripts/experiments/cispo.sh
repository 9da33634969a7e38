#!/usr/bin/env bash
# The miniature of the M1 report's comparison: CISPO vs DAPO vs GRPO from one supervised start.
#
#   scripts/experiments/cispo.sh [OUT_DIR]        (default /tmp/cispo-experiment; ~1.5 h on 2 cores)
#
# 1. SFT: a 1.9M-parameter MiniMax (scripts/experiments/cispo-model.json: 4 layers, lightning and
#    softmax attention alternating, 4 experts top-2, byte tokenizer) learns worked arithmetic in the
#    M1 format from scripts/experiments/make_sft_data.py, with a checkpoint every 250 updates.
# 2. Start: the first checkpoint whose greedy accuracy on a selection set (held-out set 99) is in
#    15–50 %.
# 3. RL: CISPO, DAPO and GRPO from that start, seeds 1–3 each, the same rollout budget (STEPS steps
#    × 8 prompts × 8 samples, 16 minibatch updates per step), held-out accuracy every 5 steps.
# 4. Summary: mean curves (rl-mean/), plots (rl-accuracy.svg, rl-ratio.svg), the table of
#    docs/experiments/cispo.md (rl-summary.md).
# 5. Polish: CISPO from the last SFT checkpoint — the bundled model's candidate (models/tiny-arithmetic).
# Every stage is skipped when its output exists, so an interrupted run continues where it stopped.
# Environment: STEPS (RL steps, default 80), LR (RL learning rate, default 2e-5), PARALLEL (runs at a
# time, one thread each; default 2), RUNS (the runs' directory under OUT_DIR, default rl: another name
# with other STEPS/LR repeats stages 3-4 from the same start), ALGORITHMS (default "cispo dapo grpo"),
# RL_ARGS (more `minimax rl` arguments, e.g. "--epsilon-high 0.28"), MINIMAX (the binary; default: build it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-/tmp/cispo-experiment}"
steps="${STEPS:-80}"
lr="${LR:-2e-5}"
parallel="${PARALLEL:-2}"
runs="${RUNS:-rl}"
algorithms="${ALGORITHMS:-cispo dapo grpo}"
rl_args="${RL_ARGS:-}"
mkdir -p "$out"
if [ -z "${MINIMAX:-}" ]; then
  (cd "$root" && swift build -c release >&2)
  MINIMAX="$root/.build/release/minimax"
fi
say() { echo "== $(date +%H:%M:%S) $*" >&2; }

# 1. Supervised warm-up.
if [ ! -f "$out/sft/config.json" ]; then
  say "SFT data and model"
  python3 "$root/scripts/experiments/make_sft_data.py" --out "$out/sft.jsonl" --count 100000 --seed 1
  "$MINIMAX" init --config "$root/scripts/experiments/cispo-model.json" --out "$out/init" --seed 1 --force
  "$MINIMAX" train --model "$out/init" --data "$out/sft.jsonl" --out "$out/sft" --steps 2500 \
    --batch-tokens 2048 --seq-len 256 --lr 2e-3 --warmup 100 --checkpoint-every 250 --keep-checkpoints 0 \
    --threads 2 ${RESUME_SFT:+--resume}
fi

# 2. The start: the first SFT checkpoint at 15–50 % on the selection set.
if [ ! -f "$out/start.txt" ]; then
  say "choosing the start checkpoint"
  : > "$out/sft-accuracy.txt"
  for checkpoint in "$out"/sft/checkpoints/step-*; do
    accuracy=$("$MINIMAX" eval --model "$checkpoint" --problems 200 --seed 99 --max-tokens 96 --threads 2 | sed 's/.*accuracy \([0-9.]*\).*/\1/')
    echo "$(basename "$checkpoint") $accuracy" | tee -a "$out/sft-accuracy.txt" >&2
  done
  start=$(awk '$2 >= 0.15 && $2 <= 0.50 { print $1; exit }' "$out/sft-accuracy.txt")
  [ -n "$start" ] || { echo "no SFT checkpoint at 15–50 % (see $out/sft-accuracy.txt)" >&2; exit 1; }
  echo "$out/sft/checkpoints/$start" > "$out/start.txt"
fi
start="$(cat "$out/start.txt")"
say "start: $start"

# 3. The three objectives, three seeds each, the same budget.
run() {  # algorithm seed
  local dir="$out/$runs/$1-s$2"
  [ -f "$dir/config.json" ] && return 0
  "$MINIMAX" rl --model "$start" --algorithm "$1" --seed "$2" --out "$dir" --steps "$steps" --lr "$lr" \
    --group-size 8 --prompts-per-step 8 --updates-per-step 16 --max-tokens 96 \
    --eval-every 5 --eval-problems 200 --threads 1 $rl_args $( [ -d "$dir/checkpoints" ] && echo --resume ) \
    2> "$out/$runs/$1-s$2.log"
}
export -f run
export out runs start steps lr rl_args MINIMAX
mkdir -p "$out/$runs"
say "RL: $algorithms × seeds 1-3, $steps steps each, $parallel at a time"
for algorithm in $algorithms; do for seed in 1 2 3; do echo "$algorithm $seed"; done; done |
  xargs -P "$parallel" -L 1 bash -c 'run "$0" "$1" && echo "done $0 $1" >&2'

# 4. Summary and plot.
say "summary"
mean="$out/$runs-mean"
python3 "$root/scripts/experiments/summarize_rl.py" "$out/$runs" "$mean" | tee "$out/$runs-summary.md"
curves=(); for algorithm in $algorithms; do curves+=("$mean/$algorithm/metrics.jsonl"); done
"$MINIMAX" plot "${curves[@]}" --metric eval_accuracy \
  --title "Held-out accuracy, mean of 3 seeds (lr $lr $rl_args, start: $(basename "$start"))" --out "$out/$runs-accuracy.svg"
"$MINIMAX" plot "${curves[@]}" --metric importance_weight_max \
  --title "Largest importance weight per step, mean of 3 seeds (lr $lr $rl_args)" --out "$out/$runs-ratio.svg"

# 5. Polish: CISPO from the last SFT checkpoint, the bundled model's candidate.
if [ ! -f "$out/polish/config.json" ]; then
  say "polish: CISPO from the final SFT model"
  "$MINIMAX" rl --model "$out/sft" --algorithm cispo --seed 7 --out "$out/polish" --steps "$steps" --lr "$lr" \
    --group-size 8 --prompts-per-step 8 --updates-per-step 16 --max-tokens 96 --eval-every 10 --eval-problems 200 \
    --threads 2 2> "$out/polish.log"
fi
# The bundled model is the better of the two on the selection set (set 99; ties go to the RL-polished
# one); both are then measured on the test set (set 0, 1,000 problems), as its card reports.
: > "$out/final-eval.txt"
for model in "$out/sft" "$out/polish"; do
  "$MINIMAX" eval --model "$model" --problems 1000 --seed 99 --max-tokens 96 --threads 2 | tee -a "$out/final-eval.txt"
  "$MINIMAX" eval --model "$model" --problems 1000 --seed 0 --max-tokens 96 --threads 2 \
    --answers-out "$model/heldout-answers.jsonl" | tee -a "$out/final-eval.txt"
  python3 "$root/scripts/experiments/accuracy_by_kind.py" "$model/heldout-answers.jsonl" "$out/sft.jsonl" | tee -a "$out/final-eval.txt"
done
selection() { grep "^$1 on .*(set 99" "$out/final-eval.txt" | sed 's/.*accuracy \([0-9.]*\).*/\1/'; }
best="$out/polish"
if awk -v a="$(selection "$out/sft")" -v b="$(selection "$out/polish")" 'BEGIN { exit !(a > b) }'; then best="$out/sft"; fi
echo "best on the selection set: $best; to bundle it: cp $best/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json} $root/models/tiny-arithmetic/" | tee -a "$out/final-eval.txt"
say "done: $out/$runs-summary.md, $out/$runs-accuracy.svg, $out/final-eval.txt"
