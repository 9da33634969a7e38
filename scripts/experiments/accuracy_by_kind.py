#!/usr/bin/env python3
"""Held-out accuracy by kind of problem, and on the problems the SFT data never showed.

    python3 scripts/experiments/accuracy_by_kind.py ANSWERS_JSONL [SFT_JSONL]

ANSWERS_JSONL is what `minimax eval --answers-out` writes (prompt, expected, response, correct).
Kinds: two- or three-digit (the larger operand), addition or subtraction. With SFT_JSONL (the
supervised data, {"messages": [...]} lines), a problem counts as seen when its user message
appears there word for word. Python standard library only.
"""
import collections
import json
import re
import sys


def kind(prompt):
    match = re.search(r"(\d+) ([+-]) (\d+)", prompt)
    if not match:
        return "other"
    digits = len(str(max(int(match.group(1)), int(match.group(3)))))
    return f"{digits}-digit {'addition' if match.group(2) == '+' else 'subtraction'}"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    answers = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    seen = set()
    if len(sys.argv) == 3:
        for line in open(sys.argv[2]):
            if line.strip():
                seen.add(json.loads(line)["messages"][0]["content"])
    groups = collections.defaultdict(list)
    for answer in answers:
        groups[kind(answer["prompt"])].append(answer["correct"])
        groups["all"].append(answer["correct"])
        if seen:
            groups["not in the SFT data" if answer["prompt"] not in seen else "in the SFT data"].append(answer["correct"])
    print("| problems | count | accuracy |")
    print("|---|---|---|")
    for name in sorted(groups, key=lambda n: (n != "all", n)):
        values = groups[name]
        print(f"| {name} | {len(values)} | {sum(values) / len(values):.3f} |")


if __name__ == "__main__":
    main()
