"""Golden for the AdamW test: ten torch.optim.AdamW steps with M1's settings.

Run from the repository root:
    .venv-ref/bin/python scripts/training/make_adamw_golden.py
Writes Tests/TrainingTests/Fixtures/adamw_golden.json: the starting parameters, the gradient of
every step, the learning rate of every step (warm-up 3 then cosine to 10% over 10 steps, as the
Swift LearningRateSchedule computes it) and the parameters after each step. Gradients of step 4 are
scaled up so that global-norm clipping (max 1.0) takes effect on that step.
"""
import json
import math

import torch

torch.manual_seed(0)
shapes = {"w": [7, 5], "norm": [5], "b": [13]}
roles = {"w": "attention", "norm": "norm", "b": "expert"}
params = {n: torch.nn.Parameter(torch.randn(s)) for n, s in shapes.items()}
start = {n: p.detach().clone().flatten().tolist() for n, p in params.items()}
peak, warmup, total, floor = 1e-2, 3, 10, 0.1


def rate(step):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min((step - warmup) / max(total - warmup, 1), 1)
    low = peak * floor
    return low + (peak - low) * 0.5 * (1 + math.cos(math.pi * progress))


decayed = [params["w"], params["b"]]
optimizer = torch.optim.AdamW(
    [{"params": decayed, "weight_decay": 0.1}, {"params": [params["norm"]], "weight_decay": 0.0}],
    lr=peak, betas=(0.9, 0.95), eps=1e-15)
steps = []
for step in range(10):
    grads = {n: torch.randn(s) * (0.05 if step != 4 else 3.0) for n, s in shapes.items()}
    for n, p in params.items():
        p.grad = grads[n].clone()
    norm = torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
    for group in optimizer.param_groups:
        group["lr"] = rate(step)
    optimizer.step()
    steps.append({
        "rate": rate(step), "gradient_norm": float(norm),
        "gradients": {n: g.flatten().tolist() for n, g in grads.items()},
        "parameters": {n: p.detach().flatten().tolist() for n, p in params.items()},
    })
with open("Tests/TrainingTests/Fixtures/adamw_golden.json", "w") as f:
    json.dump({"shapes": shapes, "roles": roles, "start": start, "steps": steps}, f)
print("wrote", len(steps), "steps")
