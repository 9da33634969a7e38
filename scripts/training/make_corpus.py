#!/usr/bin/env python3
"""A synthetic training corpus with structure a small model can learn, and its unigram entropy.

    python3 scripts/training/make_corpus.py --out /tmp/corpus.jsonl [--lines 4000] [--seed 0] [--chat]

Plain-text lines ({"text": ...}) mix templated sentences and small sums ("12 + 30 = 42."); with
--chat, lines are {"messages": [...]} asking for the sums. Prints the corpus's unigram (byte)
entropy in nats: a model that learns nothing but byte frequencies reaches that loss, one that
learns the structure goes well below it. Python standard library only.
"""
import argparse
import collections
import json
import math
import random

SUBJECTS = ["the cat", "a dog", "the old man", "my sister", "the robot", "a small bird"]
VERBS = ["sees", "likes", "follows", "draws", "finds", "calls"]
OBJECTS = ["the red ball", "a green tree", "the quiet river", "a tall house", "the blue sky"]


def sentence(rng):
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."


def arithmetic(rng):
    a, b = rng.randint(0, 49), rng.randint(0, 49)
    return a, b, f"{a} + {b} = {a + b}."


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--lines", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chat", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts = collections.Counter()
    with open(args.out, "w") as f:
        for _ in range(args.lines):
            if args.chat:
                a, b, _ = arithmetic(rng)
                line = {"messages": [{"role": "user", "content": f"What is {a} + {b}?"},
                                     {"role": "assistant", "content": f"{a} + {b} = {a + b}."}]}
                text = line["messages"][1]["content"]
            else:
                text = " ".join(sentence(rng) if rng.random() < 0.6 else arithmetic(rng)[2] for _ in range(3))
                line = {"text": text}
            counts.update(text.encode())
            f.write(json.dumps(line) + "\n")
    total = sum(counts.values())
    entropy = -sum(c / total * math.log(c / total) for c in counts.values())
    print(json.dumps({"lines": args.lines, "bytes": total, "unigram_entropy_nats": round(entropy, 4)}))


if __name__ == "__main__":
    main()
