#!/usr/bin/env python3
"""Gradient goldens for Tests/TrainingTests: PyTorch autograd on transformers' MiniMaxForCausalLM.

Each case is a tiny random model (float32, re-randomised as in scripts/parity/make_fixtures.py),
saved with save_pretrained (the fused `mlp.experts.gate_up_proj` layout), plus
    case.json               {"ids", "loss", "cross_entropy", "aux_loss", "aux_coef", "description"}
    gradients.safetensors   float32 gradient of the loss w.r.t. every parameter, under the original
                            release's names (per-expert w1/w3/w2, block_sparse_moe), as `minimax grad`
                            writes them
The loss is transformers' own: mean next-token cross-entropy (labels = ids, positions 0…T−2
predicting 1…T−1), plus router_aux_loss_coef × the load-balancing loss when output_router_logits.

Run from the repository root:
    .venv-ref/bin/python scripts/training/make_gradient_goldens.py
"""
import json
import os
import shutil
import sys

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts", "parity"))
from make_fixtures import _cfg, build_model, save_checkpoint, recompute_derived, LIN, FULL  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import MiniMaxForCausalLM  # noqa: E402

OUT = os.path.join(REPO, "Tests", "TrainingTests", "Fixtures", "gradients")
AB = dict(linear_attn_alpha_factor=1.7, linear_attn_beta_factor=0.6, full_attn_alpha_factor=1.3,
          full_attn_beta_factor=0.8, mlp_alpha_factor=1.1, mlp_beta_factor=0.45)

CASES = [
    dict(name="a_mixed_gqa_top2", seed=11, T=11, aux=None,
         description="[lin, full, lin]; 4 heads / 2 KV heads, head_dim 8; block_size 4 with T=11 "
                     "(two full blocks + ragged 3); top-2 of 4; alpha/beta != 1; no aux loss",
         cfg=_cfg(num_hidden_layers=3, layer_types=[LIN, FULL, LIN], block_size=4, **AB)),
    dict(name="b_aux_top1", seed=22, T=9, aux=0.05,
         description="[full, lin]; 3 heads / 1 KV head (GQA 3), head_dim 6 (hidden 24); block_size 4, "
                     "T=9; top-1 of 3 experts; load-balancing loss with coef 0.05",
         cfg=_cfg(hidden_size=24, num_attention_heads=3, num_key_value_heads=1, head_dim=6,
                  layer_types=[FULL, LIN], block_size=4, num_local_experts=3, num_experts_per_tok=1,
                  intermediate_size=20, mlp_alpha_factor=1.4, linear_attn_beta_factor=0.8)),
    dict(name="c_aux_top2_deep", seed=33, T=14, aux=0.01,
         description="[lin, lin, full, lin]; 2 heads, no GQA, head_dim 16; block_size 8, T=14 "
                     "(ragged 6); top-2 of 4; aux coef 0.01; alpha/beta != 1",
         cfg=_cfg(num_hidden_layers=4, layer_types=[LIN, LIN, FULL, LIN], num_attention_heads=2,
                  num_key_value_heads=2, head_dim=16, block_size=8, **AB)),
]


def canonical_gradients(model):
    """Gradients under the original release's per-expert names."""
    out = {}
    for name, p in model.named_parameters():
        g = p.grad.detach().float().contiguous()
        if name.endswith("mlp.experts.gate_up_proj"):
            prefix = name[: -len("mlp.experts.gate_up_proj")]
            inner = g.shape[1] // 2
            for e in range(g.shape[0]):
                out[f"{prefix}block_sparse_moe.experts.{e}.w1.weight"] = g[e, :inner].contiguous()
                out[f"{prefix}block_sparse_moe.experts.{e}.w3.weight"] = g[e, inner:].contiguous()
        elif name.endswith("mlp.experts.down_proj"):
            prefix = name[: -len("mlp.experts.down_proj")]
            for e in range(g.shape[0]):
                out[f"{prefix}block_sparse_moe.experts.{e}.w2.weight"] = g[e].contiguous()
        elif name.endswith("mlp.gate.weight"):
            out[name.replace("mlp.gate.weight", "block_sparse_moe.gate.weight")] = g
        else:
            out[name] = g
    return out


def run(case):
    d = os.path.join(OUT, case["name"])
    cfg = dict(case["cfg"])
    if case["aux"] is not None:
        cfg.update(output_router_logits=True, router_aux_loss_coef=case["aux"])
    model = build_model(cfg, case["seed"])
    save_checkpoint(model, d)
    m = MiniMaxForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager")
    m.train()
    recompute_derived(m)
    rng = np.random.RandomState(case["seed"])
    ids = rng.randint(0, cfg["vocab_size"], size=case["T"]).tolist()
    x = torch.tensor([ids])
    out = m(x, labels=x, use_cache=False, output_router_logits=case["aux"] is not None)
    out.loss.backward()
    grads = canonical_gradients(m)
    save_file(grads, os.path.join(d, "gradients.safetensors"))
    aux = float(out.aux_loss) if case["aux"] is not None else 0.0
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump({"ids": ids, "loss": float(out.loss), "aux_loss": aux, "aux_coef": case["aux"] or 0.0,
                   "cross_entropy": float(out.loss) - (case["aux"] or 0.0) * aux,
                   "description": case["description"],
                   "reference": "transformers MiniMaxForCausalLM float32, torch autograd"}, f, indent=1)
    print(case["name"], "loss", float(out.loss), "aux", aux, "tensors", len(grads))


if __name__ == "__main__":
    torch.manual_seed(0)
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for case in CASES:
        run(case)
