"""Goldens for PolicyObjectiveTests: TRL's own GRPOTrainer loss on hand-made per-token tensors.

Run from the repository root (TRL from PyPI; 1.16.0 made the committed fixture):
    /work/main/.venv-ref/bin/python scripts/rl/make_objective_goldens.py
Writes Tests/TrainingTests/Fixtures/objectives.json.

The loss is TRL's code, not a transcription of it: we call the unbound
`trl.trainer.grpo_trainer.GRPOTrainer._compute_loss` with a stand-in `self` that carries just the
attributes that method reads, and whose `_get_per_token_logps_and_entropies` returns a float64 leaf
tensor of "new" per-token log-probabilities instead of running a model. torch autograd then gives
d(loss)/d(new log-probability) per token; our Swift weights must equal minus that.

Settings (one process, no gradient accumulation, steps_per_generation 1, token-level importance
sampling, no vLLM, no entropy bonus or mask): for cispo/dapo TRL divides by `num_items_in_batch`
(= the batch's completion-token count), for grpo by the per-sequence token count then the batch size.
TRL's cispo `epsilon_high` is the absolute cap on the ratio, so our `.cispo(epsilonHigh: e)` is
TRL's `epsilon_high = 1 + e`; dapo and grpo use TRL's `epsilon` (low) and `epsilon_high` (high) as
1 ∓ ε bounds, like ours. GRPO's KL uses `use_bias_correction_kl=False` (the plain k3 estimator); TRL
1.16's default True multiplies it by the ratio.
"""
import collections
import json
import types
from pathlib import Path

import numpy as np
import torch
import trl
from trl.trainer.grpo_trainer import GRPOTrainer

rng = np.random.default_rng(12)
lengths = [5, 1, 8, 0, 3, 6]  # a zero-length response too: TRL's grpo mean still counts it
B, T = len(lengths), max(lengths)
mask = np.zeros((B, T), dtype=np.float32)
for i, n in enumerate(lengths):
    mask[i, :n] = 1
# Every input is float32 so the Swift side sees the very same numbers.
old = (-rng.exponential(1.5, size=(B, T))).astype(np.float32)
log_ratio = rng.normal(0, 0.35, size=(B, T))
log_ratio[0, 1], log_ratio[2, 5], log_ratio[5, 0] = 1.9, -1.7, 2.3  # beyond every bound, incl. cap 5
new = (old + log_ratio).astype(np.float32)
new = np.minimum(new, -1e-3).astype(np.float32)  # log-probabilities stay < 0
ref = (new + rng.normal(0, 0.3, size=(B, T))).astype(np.float32)
advantages = np.array([1.25, -0.75, 0.5, 0.9, -1.5, 0.0], dtype=np.float32)

cases = [
    # name, TRL loss_type, TRL epsilon, TRL epsilon_high, beta, our objective
    ("cispo_cap_1.25", "cispo", 0.2, 1.25, 0.0, {"kind": "cispo", "epsilon_high": 0.25}),
    ("cispo_cap_5", "cispo", 0.2, 5.0, 0.0, {"kind": "cispo", "epsilon_high": 4.0}),
    ("dapo", "dapo", 0.2, 0.28, 0.0, {"kind": "dapo", "epsilon_low": 0.2, "epsilon_high": 0.28}),
    ("grpo", "grpo", 0.2, 0.2, 0.0, {"kind": "grpo", "epsilon": 0.2, "kl_coefficient": 0.0}),
    ("grpo_kl", "grpo", 0.2, 0.2, 0.04, {"kind": "grpo", "epsilon": 0.2, "kl_coefficient": 0.04}),
]


def stand_in(loss_type, epsilon, epsilon_high, beta, leaf):
    """The attributes GRPOTrainer._compute_loss reads, with TRL's own meaning."""
    identity = lambda x, **_: x
    return types.SimpleNamespace(
        _get_per_token_logps_and_entropies=lambda *a, **k: (leaf, torch.zeros_like(leaf), None),
        top_entropy_quantile=1.0,
        off_policy_mask_threshold=None,
        importance_sampling_level="token",
        beta=beta,
        args=types.SimpleNamespace(use_bias_correction_kl=False, delta=None, steps_per_generation=1),
        loss_type=loss_type,
        epsilon_low=epsilon,  # GRPOTrainer.__init__: epsilon_low = args.epsilon
        epsilon_high=epsilon_high,
        use_vllm=False,
        model=types.SimpleNamespace(training=True),
        current_gradient_accumulation_steps=1,
        accelerator=types.SimpleNamespace(num_processes=1, reduce=identity, gather=identity, gather_for_metrics=identity),
        _entropy_bonus_enabled=False,
        aux_loss_enabled=False,
        _metrics=collections.defaultdict(lambda: collections.defaultdict(list)),
    )


def ragged(a):
    return [[float(a[i, t]) for t in range(n)] for i, n in enumerate(lengths)]


out = {
    "trl_version": trl.__version__,
    "lengths": lengths,
    "advantages": [float(a) for a in advantages],
    "new": ragged(new),
    "old": ragged(old),
    "ref": ragged(ref),
    "cases": [],
}
t64 = lambda a: torch.tensor(a, dtype=torch.float64)
for name, loss_type, epsilon, epsilon_high, beta, objective in cases:
    leaf = t64(new).requires_grad_(True)
    inputs = {
        "prompt_ids": torch.zeros(B, 1, dtype=torch.long),
        "prompt_mask": torch.ones(B, 1, dtype=torch.long),
        "completion_ids": torch.zeros(B, T, dtype=torch.long),
        "completion_mask": t64(mask),
        "advantages": t64(advantages),
        "old_per_token_logps": t64(old),
        "ref_per_token_logps": t64(ref),
        "num_items_in_batch": t64(mask.sum()),
    }
    loss = GRPOTrainer._compute_loss(stand_in(loss_type, epsilon, epsilon_high, beta, leaf), None, inputs)
    loss.backward()
    out["cases"].append({
        "name": name,
        "objective": objective,
        "loss": loss.item(),
        "gradient": ragged(leaf.grad.numpy()),
    })
    print(f"{name}: loss {loss.item():.9g}")

path = Path("Tests/TrainingTests/Fixtures/objectives.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)
