#!/usr/bin/env python3
"""Greedy-generation goldens: transformers' generate(do_sample=False) on the committed parity
checkpoints (Tests/MiniMaxTests/Fixtures/parity/<case>), float32.

Writes Tests/GenerationTests/Fixtures/greedy_generation.json:
  [{"case": name, "prompt_ids": [...], "eos_token_ids": [...], "max_new_tokens": N,
    "generated_ids": [...]}]   (generated ids exclude the prompt; they end with eos if it was hit)

Run: .venv-ref/bin/python scripts/parity/make_generation_goldens.py
"""
import json
import pathlib

import torch
from transformers import MiniMaxForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
PARITY = ROOT / "Tests/MiniMaxTests/Fixtures/parity"
OUT = ROOT / "Tests/GenerationTests/Fixtures/greedy_generation.json"
CASES = ["a_mixed_explicit", "c_bf16_sharded_default_plan", "e_gqa8", "f_all_lightning", "k_mixed_dtypes"]
MAX_NEW = 24


def main():
    torch.manual_seed(0)
    results = []
    for name in CASES:
        directory = PARITY / name
        ids = json.loads((directory / "case.json").read_text())["ids"]
        config = json.loads((directory / "config.json").read_text())
        # The engine stops on the config's eos ids; give transformers the same ones.
        eos = config.get("eos_token_id")
        eos_ids = [] if eos is None else ([eos] if isinstance(eos, int) else list(eos))
        model = MiniMaxForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
        # Recompute the derived decay buffers in fp32 (a bf16 save stores rounded ones).
        for layer in model.model.layers:
            attn = layer.self_attn
            if hasattr(attn, "get_slope_rate"):
                slope = attn.get_slope_rate().to(torch.float32)
                q, k, d = attn.decay_factors(slope)
                attn.slope_rate.copy_(slope); attn.query_decay.copy_(q); attn.key_decay.copy_(k); attn.diagonal_decay.copy_(d)
        prompt = ids[: max(1, len(ids) // 2)]
        with torch.no_grad():
            out = model.generate(
                torch.tensor([prompt]), do_sample=False, max_new_tokens=MAX_NEW,
                eos_token_id=eos_ids or None, pad_token_id=0)
        generated = out[0, len(prompt):].tolist()
        results.append({"case": name, "prompt_ids": prompt, "eos_token_ids": eos_ids,
                        "max_new_tokens": MAX_NEW, "generated_ids": generated})
        print(name, len(prompt), generated)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
