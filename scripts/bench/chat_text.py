#!/usr/bin/env python3
"""Chats as the model sees them in training: each line of a JSONL file of {"messages": [...]}
rendered by `minimax render --no-generation-prompt` (the M1 chat template, exactly as `minimax train`
renders a chat line) and the renders concatenated, as `minimax train` packs them into one stream.
The result is in-distribution text for a chat-trained model, for `quant_quality.py --text`.

    python3 scripts/bench/chat_text.py --model models/tiny-arithmetic --jsonl CHATS.jsonl --out TEXT
        [--minimax BIN] [--limit N]

For the bundled arithmetic model, held-out chats come from the script that made its training data,
with a seed other than the training seed (1):

    python3 scripts/experiments/make_sft_data.py --out /tmp/qq/heldout.jsonl --count 400 --seed 2

Python standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="model directory (its tokenizer files; the template is M1's)")
    p.add_argument("--jsonl", required=True, help='one {"messages": [...]} object per line')
    p.add_argument("--out", required=True)
    p.add_argument("--minimax", default=os.path.join(ROOT, ".build", "release", "minimax"))
    p.add_argument("--limit", type=int, default=0, help="at most this many lines (default: all)")
    args = p.parse_args()
    parts = []
    with open(args.jsonl, encoding="utf-8") as f, tempfile.TemporaryDirectory() as tmp:
        messages = os.path.join(tmp, "messages.json")
        for n, line in enumerate(f):
            if args.limit and n >= args.limit:
                break
            if not line.strip():
                continue
            with open(messages, "w", encoding="utf-8") as m:
                json.dump(json.loads(line)["messages"], m)
            parts.append(subprocess.run([args.minimax, "render", "--model", args.model, "--messages", messages,
                                         "--no-generation-prompt"], check=True, capture_output=True,
                                        text=True).stdout)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("".join(parts))
    print(f"{len(parts)} chats, {sum(map(len, parts))} characters -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
