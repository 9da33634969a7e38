#!/usr/bin/env python3
"""Randomised parity check of the Swift engine against transformers (developer tool, not CI).

For each of N random tiny MiniMax configurations (odd head counts, GQA 1-8, head_dim != hidden/heads,
T below / equal to / above block_size with a ragged last block, random or absent layer_types,
alpha/beta != 1, top-1/top-2, fp32/bf16, single file/sharded, sometimes the original M1 dialect)
it saves a checkpoint into a temp dir, runs

    BIN logits --model DIR --ids 1,2,3 --out FILE.npy [--chunk N]

and compares with transformers (float32, the saved weights widened to fp32):
    one-pass logits vs transformers       rel err <= 1e-4
    --chunk 1 and --chunk 7 vs one-pass   rel err <= 1e-5
rel err = ||engine - ref|| / ||ref||. Prints one line per case and the config of each failing case;
exits 1 on any failure, 2 if the engine binary is missing.

    /work/main/.venv-ref/bin/python scripts/parity/fuzz_parity.py -n 20 [--bin PATH] [--seed S]
    ... --self-test    # use numpy_reference.py as the "engine" (checks this script, no Swift needed)
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
import numpy_reference as npref  # noqa: E402

LIN, FULL = "linear_attention", "full_attention"


def random_case(rng):
    Hkv = rng.choice([1, 1, 2, 3])
    group = rng.randint(1, 8)
    H = Hkv * group
    while H > 12:
        group = rng.randint(1, 4)
        H = Hkv * group
    D = rng.choice([16, 24, 32, 48])
    d = rng.choice([4, 6, 8, 10, 12, 16])
    if d * H == D and rng.random() < 0.7:
        d += 2  # mostly keep head_dim != hidden / heads
    L = rng.randint(1, 4)
    E = rng.randint(2, 6)
    k = rng.choice([1, 2]) if E > 2 else 1
    block = rng.choice([4, 7, 8, 16, 32, None])  # None: key absent -> default 256
    B = block or 256
    where = rng.choice(["below", "equal", "above", "above"])
    if where == "below":
        T = rng.randint(1, max(1, B - 1)) if B <= 32 else rng.randint(1, 40)
    elif where == "equal":
        T = B if B <= 32 else rng.randint(1, 40)
    else:
        T = B * rng.randint(1, 3) + rng.randint(1, max(1, B - 1)) if B <= 32 else 256 + rng.randint(1, 30)
    cfg = dict(vocab_size=rng.choice([64, 97, 128]), hidden_size=D, intermediate_size=rng.choice([8, 16, 24]),
               num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=Hkv, head_dim=d,
               num_local_experts=E, num_experts_per_tok=k, max_position_embeddings=4096,
               rms_norm_eps=rng.choice([1e-6, 1e-5, 1e-4]),
               rope_parameters={"rope_type": "default", "rope_theta": rng.choice([100.0, 1e4, 1e6, 1e7])},
               tie_word_embeddings=False)
    if block is not None:
        cfg["block_size"] = block
    layer_types = None
    if rng.random() < 0.7:
        layer_types = [rng.choice([LIN, FULL]) for _ in range(L)]
        cfg["layer_types"] = layer_types
    for key in ["linear_attn", "full_attn", "mlp"]:
        for ab in ["alpha", "beta"]:
            if rng.random() < 0.7:
                cfg[f"{key}_{ab}_factor"] = round(rng.uniform(0.4, 2.2), 3)
    opts = dict(dtype=rng.choice(["fp32", "bf16"]),
                shard=rng.choice([None, "40KB"]),
                drop_layer_types=layer_types is None,
                dialect="original" if rng.random() < 0.2 else "transformers")
    return cfg, T, opts


def describe(cfg, T, opts):
    lt = cfg.get("layer_types")
    plan = "".join("L" if t == LIN else "F" for t in lt) if lt else "default"
    return (f"H={cfg['num_attention_heads']} Hkv={cfg['num_key_value_heads']} d={cfg['head_dim']} "
            f"D={cfg['hidden_size']} layers={plan}/{cfg['num_hidden_layers']} "
            f"E={cfg['num_local_experts']} k={cfg['num_experts_per_tok']} "
            f"B={cfg.get('block_size', 256)} T={T} {opts['dtype']} "
            f"{'sharded' if opts['shard'] else 'single'} {opts['dialect']}")


def run_engine(bin_cmd, model_dir, ids, out, chunk=None, timeout=600):
    cmd = list(bin_cmd) + ["logits", "--model", model_dir, "--ids", ",".join(map(str, ids)),
                           "--out", out]
    if chunk is not None:
        cmd += ["--chunk", str(chunk)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {timeout}s: {' '.join(cmd)}"
    if p.returncode != 0:
        return None, f"exit {p.returncode}: {' '.join(cmd)}\n{(p.stderr or p.stdout)[-2000:]}"
    try:
        return np.load(out).astype(np.float64), None
    except Exception as e:  # noqa: BLE001
        return None, f"could not read {out}: {e}"


def as_ref_shape(x, ref):
    if x is None:
        return None
    if x.shape != ref.shape and x.size == ref.size:
        x = x.reshape(ref.shape)  # e.g. [1, T, V]
    return x if x.shape == ref.shape else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build/release/minimax", help="engine executable")
    ap.add_argument("-n", type=int, default=20, help="number of random cases")
    ap.add_argument("--seed", type=int, default=None, help="RNG seed (default: time-based, printed)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--chunk-tol", type=float, default=1e-5)
    ap.add_argument("--no-chunk", action="store_true", help="skip the --chunk 1 / --chunk 7 runs")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (failing cases are always kept)")
    ap.add_argument("--self-test", action="store_true",
                    help="use numpy_reference.py as the engine (tests this script)")
    a = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    if a.self_test:
        bin_cmd = [sys.executable, os.path.join(here, "_numpy_engine.py")]
    else:
        if not (os.path.isfile(a.bin) and os.access(a.bin, os.X_OK)):
            print(f"fuzz_parity: engine binary not found or not executable: {a.bin!r}\n"
                  f"  build it first (swift build -c release) or pass --bin PATH;"
                  f" --self-test runs the NumPy reference instead.", file=sys.stderr)
            return 2
        bin_cmd = [os.path.abspath(a.bin)]

    seed = a.seed if a.seed is not None else int(time.time()) % 100000
    print(f"fuzz_parity: seed {seed}, {a.n} cases, engine {' '.join(bin_cmd)}")
    rng = random.Random(seed)
    root = tempfile.mkdtemp(prefix="minimax-fuzz-")
    failures = 0
    for i in range(a.n):
        cfg, T, opts = random_case(rng)
        case_seed = rng.randint(0, 10**6)
        d = os.path.join(root, f"case{i:03d}")
        # re-seed the weights until no routing decision is a near-tie (would be flaky)
        for attempt in range(10):
            model = mf.build_model(cfg, case_seed + attempt)
            ids = mf.make_ids(cfg["vocab_size"], T, case_seed + attempt)
            src = d + ".tf" if opts["dialect"] == "original" else d
            mf.save_checkpoint(model, src, dtype=opts["dtype"], shard=opts["shard"],
                               drop_layer_types=opts["drop_layer_types"])
            ref, _ = mf.transformers_reference(src, ids)
            if opts["dialect"] == "original":
                mf.write_original_dialect(src, d, n_shards=2 if opts["shard"] else 1)
                shutil.rmtree(src)
            stats = {}
            npl, _ = npref.forward(d, ids, stats=stats)
            if stats.get("min_route_gap", 1.0) > 1e-3:
                break
        ref = ref.astype(np.float64)
        desc = describe(cfg, T, opts)
        problems = []
        np_err = mf.rel_err(npl, ref)
        if np_err > 1e-5:
            problems.append(f"numpy reference disagrees with transformers ({np_err:.2e})")
        one, err = run_engine(bin_cmd, d, ids, os.path.join(d, "out.npy"))
        one = as_ref_shape(one, ref) if err is None else None
        if err is None and one is None:
            err = "engine output has the wrong shape"
        line = f"case {i:03d} "
        if err:
            problems.append(err)
            line += "rel       n/a"
        else:
            e1 = mf.rel_err(one, ref)
            line += f"rel {e1:.2e}"
            if not e1 <= a.tol:
                problems.append(f"one-pass rel err {e1:.2e} > {a.tol:g}")
            if not a.no_chunk:
                for c in (1, 7):
                    x, cerr = run_engine(bin_cmd, d, ids, os.path.join(d, f"out_c{c}.npy"), chunk=c)
                    x = as_ref_shape(x, ref) if cerr is None else None
                    if cerr or x is None:
                        problems.append(cerr or f"--chunk {c}: wrong output shape")
                        line += f"  chunk{c}       n/a"
                        continue
                    ec = mf.rel_err(x, one)
                    line += f"  chunk{c} {ec:.2e}"
                    if not ec <= a.chunk_tol:
                        problems.append(f"--chunk {c} vs one-pass rel err {ec:.2e} > {a.chunk_tol:g}")
        status = "FAIL" if problems else "PASS"
        print(f"{line}  {status}  {desc}", flush=True)
        if problems:
            failures += 1
            for p in problems:
                print("    " + p.replace("\n", "\n    "))
            print(f"    ids: {','.join(map(str, ids))}")
            print(f"    checkpoint kept at {d}")
            with open(os.path.join(d, "config.json")) as f:
                print("    config.json: " + json.dumps(json.load(f), sort_keys=True))
            np.save(os.path.join(d, "reference_logits.npy"), ref.astype(np.float32))
        else:
            shutil.rmtree(d, ignore_errors=True)
    if failures == 0 and not a.keep:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"temp dir: {root}")
    print(f"{a.n - failures}/{a.n} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
