#!/usr/bin/env python3
"""Summarises the CISPO / DAPO / GRPO runs of scripts/experiments/cispo.sh.

    python3 scripts/experiments/summarize_rl.py RUNS_DIR OUT_DIR

RUNS_DIR holds one directory per run, named ALGORITHM-sSEED, each with the metrics.jsonl that
`minimax rl` wrote. For every algorithm this writes OUT_DIR/ALGORITHM/metrics.jsonl with the mean
over seeds of eval_accuracy, accuracy, reward and response_length at each step (what `minimax plot`
draws), then prints a Markdown table: start and final held-out accuracy (mean ± spread over seeds),
the first step at which each method's mean held-out accuracy reaches DAPO's final mean, and the
rollouts sampled per run (DAPO's dynamic sampling draws more prompts when groups are uniform).
Python standard library only.
"""
import collections
import json
import os
import statistics
import sys

FIELDS = ("eval_accuracy", "accuracy", "reward", "response_length", "clipped_fraction", "importance_weight_max")


def read(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    runs_dir, out_dir = sys.argv[1], sys.argv[2]
    runs = collections.defaultdict(dict)  # algorithm -> seed -> rows
    for name in sorted(os.listdir(runs_dir)):
        path = os.path.join(runs_dir, name, "metrics.jsonl")
        if "-s" not in name or not os.path.exists(path):
            continue
        algorithm, seed = name.rsplit("-s", 1)
        runs[algorithm][seed] = read(path)
    if not runs:
        sys.exit(f"no ALGORITHM-sSEED/metrics.jsonl under {runs_dir}")

    means = {}
    for algorithm, seeds in sorted(runs.items()):
        by_step = collections.defaultdict(lambda: collections.defaultdict(list))
        for rows in seeds.values():
            for row in rows:
                for field in FIELDS:
                    if row.get(field) is not None:
                        by_step[row["step"]][field].append(row[field])
        lines = []
        for step in sorted(by_step):
            entry = {"step": step}
            for field, values in by_step[step].items():
                if len(values) == len(seeds):  # a step every seed reached
                    entry[field] = statistics.fmean(values)
            lines.append(entry)
        means[algorithm] = lines
        os.makedirs(os.path.join(out_dir, algorithm), exist_ok=True)
        with open(os.path.join(out_dir, algorithm, "metrics.jsonl"), "w") as f:
            for entry in lines:
                f.write(json.dumps(entry) + "\n")

    def evals(algorithm):
        return [(e["step"], e["eval_accuracy"]) for e in means[algorithm] if "eval_accuracy" in e]

    target = evals("dapo")[-1][1] if "dapo" in means and evals("dapo") else None
    print("| method | seeds | held-out accuracy at start | at the end (mean; per seed) | first step with mean ≥ DAPO's final | rollouts per run |")
    print("|---|---|---|---|---|---|")
    for algorithm, seeds in sorted(runs.items()):
        curve = evals(algorithm)
        finals, rollouts = [], []
        for seed, rows in sorted(seeds.items()):
            rollouts.append(sum(r.get("rollouts", 0) for r in rows))
            accuracies = [r["eval_accuracy"] for r in rows if r.get("eval_accuracy") is not None]
            finals.append(accuracies[-1] if accuracies else float("nan"))
        reach = "—"
        if target is not None:
            steps = [step for step, accuracy in curve if accuracy >= target - 1e-12]
            reach = str(steps[0]) if steps else "not reached"
        print(f"| {algorithm} | {len(seeds)} | {curve[0][1]:.3f} | {curve[-1][1]:.3f} (step {curve[-1][0]}); "
              f"{', '.join(f'{v:.3f}' for v in finals)} | {reach} | {statistics.fmean(rollouts):.0f} |")
    if target is not None:
        print(f"\nDAPO's final mean held-out accuracy: {target:.3f}")


if __name__ == "__main__":
    main()
