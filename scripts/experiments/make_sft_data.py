#!/usr/bin/env python3
"""Supervised warm-up data for the RL experiment: arithmetic questions answered in the M1 format,
reasoning column by column inside <think>…</think>, then the answer.

    python3 scripts/experiments/make_sft_data.py --out /tmp/sft.jsonl [--count 20000] [--seed 0]

Questions are asked as `minimax rl --task arithmetic` asks them ("What is 23 + 58?", "Compute 410 - 97."),
two- and three-digit operands. Python standard library only.
"""
import argparse
import json
import random


def worked(x, y, add):
    steps, carry, a, b = [], 0, x, y
    while a > 0 or b > 0:
        da, db = a % 10, b % 10
        if add:
            s = da + db + carry
            steps.append(f"{da}+{db}{'+1' if carry else ''}={s}{' c1' if s >= 10 else ''}")
            carry = 1 if s >= 10 else 0
        else:
            top = da - carry
            if top < db:
                steps.append(f"{top + 10}-{db}={top + 10 - db} b1")
                carry = 1
            else:
                steps.append(f"{top}-{db}={top - db}")
                carry = 0
        a //= 10
        b //= 10
    if add and carry:
        steps.append("1")
    answer = x + y if add else x - y
    return f"<think>{x}{'+' if add else '-'}{y}: {', '.join(steps)}. {answer}</think>{answer}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w") as f:
        for _ in range(args.count):
            digits = rng.choice([2, 3])
            limit = 10 ** digits
            a, b = rng.randint(limit // 10, limit - 1), rng.randint(10, limit - 1)
            add = rng.random() < 0.5
            x, y = (a, b) if add or a >= b else (b, a)
            question = f"{x} {'+' if add else '-'} {y}"
            prompt = f"What is {question}?" if rng.random() < 0.5 else f"Compute {question}."
            f.write(json.dumps({"messages": [{"role": "user", "content": prompt},
                                             {"role": "assistant", "content": worked(x, y, add)}]}) + "\n")


if __name__ == "__main__":
    main()
