#!/usr/bin/env python3
"""Stand-in for the engine CLI, used by `fuzz_parity.py --self-test`:
    _numpy_engine.py logits --model DIR --ids 1,2,3 --out FILE.npy [--chunk N]
(--chunk is accepted and ignored: the NumPy reference is a token-by-token recurrence anyway)."""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_reference as npref  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("command", choices=["logits"])
ap.add_argument("--model", required=True)
ap.add_argument("--ids", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--chunk", type=int)
a = ap.parse_args()
logits, _ = npref.forward(a.model, [int(s) for s in a.ids.split(",")])
np.save(a.out, logits.astype(np.float32))
