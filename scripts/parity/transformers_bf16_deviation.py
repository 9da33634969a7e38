#!/usr/bin/env python3
"""How far transformers' own bf16 run lands from the fp32 goldens of the bf16 parity cases, to put
`minimax --precision bf16` (BFloat16PrecisionParityTests: 6.4e-3 and 4.8e-3) into context.

    .venv-ref/bin/python scripts/parity/transformers_bf16_deviation.py
"""
import json
import os

import numpy as np
import torch
from transformers import AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = ["c_bf16_sharded_default_plan", "k_mixed_dtypes"]

for case in CASES:
    directory = os.path.join(ROOT, "Tests/MiniMaxTests/Fixtures/parity", case)
    ids = json.load(open(os.path.join(directory, "case.json")))["ids"]
    reference = np.load(os.path.join(directory, "logits.npy"))
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.bfloat16).eval()
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float().numpy()
    error = np.linalg.norm(logits - reference) / np.linalg.norm(reference)
    print(f"{case}: transformers bf16 vs the fp32 golden: relative error {error:.2e}")
