#!/usr/bin/env python3
"""Loads a model directory written by `minimax init` or `minimax train` in transformers and compares
its float32 logits with `minimax logits` on the same ids (relative error, must be <= 1e-4).

    .venv-ref/bin/python scripts/training/check_transformers.py MODEL_DIR [--minimax .build/release/minimax]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from transformers import MiniMaxForCausalLM


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--minimax", default=".build/release/minimax")
    parser.add_argument("--tokens", type=int, default=48)
    args = parser.parse_args()
    config = json.load(open(os.path.join(args.model, "config.json")))
    ids = np.random.RandomState(0).randint(0, min(config["vocab_size"], 256), size=args.tokens).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "logits.npy")
        subprocess.run([args.minimax, "logits", "--model", args.model, "--ids", ",".join(map(str, ids)), "--out", out],
                       check=True)
        ours = np.load(out).astype(np.float64)
    model = MiniMaxForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        theirs = model(torch.tensor([ids]), use_cache=False).logits[0].double().numpy()
    error = np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)
    print(json.dumps({"model": args.model, "tokens": len(ids), "relative_error": float(error),
                      "transformers_argmax_agreement": float((ours.argmax(-1) == theirs.argmax(-1)).mean())}))
    sys.exit(0 if error <= 1e-4 else 1)


if __name__ == "__main__":
    main()
