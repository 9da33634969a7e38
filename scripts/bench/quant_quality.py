#!/usr/bin/env python3
"""How much quantization changes a model's predictions, measured as llama.cpp measures it: the mean
KL divergence KL(P_ref || P_quant) of the next-token distributions and the top-1 agreement, over a
few thousand positions, of our int8 / q4 models against our unquantized model — next to llama.cpp's
Q8_0 / Q4_K_M against llama.cpp's own unquantized (bf16) run of the same checkpoint
(`llama-perplexity --kl-divergence-base / --kl-divergence`), when its binaries are there.

    scripts/bench/quant_quality.py --model bench-models/bench-small-bf16 [--positions 2048]
        [--context 512] [--variants int8,int8-g32,q4,q4-symmetric] [--minimax BIN] [--work DIR]
        [--llama-bin DIR --gguf FILE] [--json-out FILE]

Steps, each skipped when its output is already in --work (cached files are named after the source
model's and the engine binary's paths, sizes and modification times, so nothing is reused across
models or rebuilds):
  1. text: the repository's Markdown (README.md, docs/*.md), tokenized by `minimax tokenize`,
     repeated if short, cut into --positions / --context sequences of --context tokens;
  2. `minimax quantize` of --model for each variant (int8: one scale per row; int8-g32: a scale per
     32; q4: groups of 32 with scale and min; q4-symmetric: groups of 32, levels -8..7 about zero;
     these four quantize the experts; int8-all / q4-all: every matrix but the embedding, LM head
     included, which is what llama.cpp's Q8_0 / Q4_K_M quantize (q4-all keeps attention and head at
     int8, as Q4_K_M keeps some at 6 bits; q4-all-4bit-head has 4-bit attention, q4-all-4bit a 4-bit
     head too); the -act8 variants run `--precision int8`, activations
     quantized to int8 per block of 32, as llama.cpp's Q8_0 / Q4_K_M products do);
  3. `minimax logits` of every sequence for the reference and each variant (one forward pass each);
  4. KL and top-1 agreement per variant, in float64 from the float32 logits;
  5. llama.cpp (optional): llama-quantize the --gguf to Q8_0 and Q4_K_M, then llama-perplexity
     --kl-divergence-base on the --gguf and --kl-divergence on each, with the same text and context.
Random-weight models (bench-small) have near-uniform distributions: their absolute KL is small;
compare rows with each other, on the same model. Needs numpy (the reference venv has it).
"""
import argparse
import glob
import hashlib
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# name -> (`minimax quantize` arguments, `minimax logits --precision`). Variants with the same
# arguments share one quantized model.
VARIANTS = {
    "int8": (["--type", "int8"], "exact"),
    "int8-g32": (["--type", "int8", "--group-size", "32"], "exact"),
    "q4": (["--type", "q4"], "exact"),
    "q4-symmetric": (["--type", "q4", "--q4-offset", "symmetric"], "exact"),
    "int8-all": (["--type", "int8", "--scope", "all"], "exact"),
    "q4-all": (["--type", "q4", "--scope", "all"], "exact"),
    "q4-all-4bit-head": (["--type", "q4", "--scope", "all", "--attention-type", "q4"], "exact"),
    "q4-all-4bit": (["--type", "q4", "--scope", "all", "--attention-type", "q4", "--head-type", "q4"], "exact"),
    "int8-all-act8": (["--type", "int8", "--scope", "all"], "int8"),
    "int8-g32-all": (["--type", "int8", "--group-size", "32", "--scope", "all"], "exact"),
    "int8-g32-all-act8": (["--type", "int8", "--group-size", "32", "--scope", "all"], "int8"),
    "q4-all-act8": (["--type", "q4", "--scope", "all"], "int8"),
}
LLAMA_TYPES = ["Q8_0", "Q4_K_M"]


def log(message):
    print(f"[quant_quality] {message}", file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    log(" ".join(cmd) if len(" ".join(cmd)) < 400 else " ".join(cmd)[:400] + " ...")
    return subprocess.run(cmd, check=True, **kwargs)


def find_minimax(path):
    if path:
        return path
    for build in ("release", "debug"):
        binary = os.path.join(ROOT, ".build", build, "minimax")
        if os.path.isfile(binary):
            return binary
    raise SystemExit("no .build/{release,debug}/minimax: swift build -c release first, or pass --minimax")


def corpus_text():
    paths = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    return "\n\n".join(open(p, encoding="utf-8").read() for p in paths)


def token_ids(binary, model, text, needed):
    out = run([binary, "tokenize", "--model", model, "--text", text], capture_output=True, text=True).stdout
    ids = json.loads(out.strip().splitlines()[-1])
    if not ids:
        raise SystemExit("the tokenizer gave no ids")
    while len(ids) < needed:
        ids = ids + ids
    return ids[:needed]


def logits(binary, model, ids, out, threads, precision="exact"):
    """The logits of ids, cached in out under a name that holds a hash of the ids (so a changed text
    never reuses another text's logits)."""
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:12]
    out = out[:-len(".npy")] + f"-{digest}.npy"
    if not os.path.isfile(out):
        run([binary, "logits", "--model", model, "--ids", ",".join(map(str, ids)), "--out", out, "--threads", str(threads),
             "--precision", precision])
    return np.load(out).astype(np.float64)


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def compare(reference, candidate):
    """Per-position KL(P_ref || P_cand) and whether the argmax agrees."""
    lp, lq = log_softmax(reference), log_softmax(candidate)
    kl = (np.exp(lp) * (lp - lq)).sum(axis=-1)
    return kl, reference.argmax(axis=-1) == candidate.argmax(axis=-1)


def fingerprint(paths):
    """A short hash of files' paths, sizes and modification times: cached models and logits carry the
    source model's and the engine binary's, so a different model or a rebuilt engine never reuses
    another's files left in --work."""
    h = hashlib.sha256()
    for path in paths:
        st = os.stat(path)
        h.update(f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:10]


def ours(args, binary, work):
    sequences = args.positions // args.context
    # The first 64 KB give far more than the tokens needed, and the whole corpus no longer fits in
    # one command-line argument (Linux caps one at 128 KB).
    ids = token_ids(binary, args.model, corpus_text()[:65536], sequences * args.context)
    chunks = [ids[i * args.context:(i + 1) * args.context] for i in range(sequences)]
    source = fingerprint([os.path.join(args.model, "config.json")] + sorted(glob.glob(os.path.join(args.model, "*.safetensors"))))
    engine = fingerprint([binary])
    reference = [logits(binary, args.model, c, os.path.join(work, f"reference-{source}-{engine}-{i}.npy"), args.threads)
                 for i, c in enumerate(chunks)]
    rows = {}
    for name in args.variants:
        arguments, precision = VARIANTS[name]
        model = os.path.join(work, f"model-{source}-" + "".join(a.strip("-") for a in arguments[1:]))
        if not os.path.isfile(os.path.join(model, "config.json")):
            run([binary, "quantize", "--model", args.model, "--out", model] + arguments)
        kls, agree = [], []
        for i, c in enumerate(chunks):
            kl, same = compare(reference[i], logits(binary, model, c, os.path.join(work, f"{name}-{source}-{engine}-{i}.npy"),
                                                    args.threads, precision))
            kls.append(kl)
            agree.append(same)
        kl, same = np.concatenate(kls), np.concatenate(agree)
        size = sum(os.path.getsize(f) for f in glob.glob(os.path.join(model, "*.safetensors")))
        rows[name] = {"positions": int(kl.size), "mean_kl": float(kl.mean()), "median_kl": float(np.median(kl)),
                      "p99_kl": float(np.quantile(kl, 0.99)), "top1_agreement": float(same.mean()),
                      "weights_bytes": size}
    return rows, os.path.join(work, "text.txt")


def llama(args, work, text_path):
    """llama.cpp's Q8_0 / Q4_K_M KL against its own run of --gguf; {} with a reason when it cannot."""
    if not args.llama_bin or not args.gguf:
        return {"skipped": "no --llama-bin / --gguf given"}
    perplexity = os.path.join(args.llama_bin, "llama-perplexity")
    quantize = os.path.join(args.llama_bin, "llama-quantize")
    missing = [p for p in (perplexity, quantize) if not os.path.isfile(p)]
    if missing:
        return {"skipped": f"missing {', '.join(missing)} (build the llama-perplexity and llama-quantize targets)"}
    with open(text_path, "w", encoding="utf-8") as f:
        f.write(corpus_text() * 8)
    # --no-repack: b11434's repacked Q4_K path aborts (SIGABRT in ggml_cpu_extra_compute_forward) on
    # AMD Zen 4, as its AMX repacking dies on some Xeons; the plain kernels compute the same values.
    common = ["-f", text_path, "-c", str(args.context), "--chunks", str(args.positions // args.context),
              "-t", str(args.threads), "--no-repack"]
    # Keyed by the GGUF and the llama.cpp binaries, as ours are by model and engine.
    key = fingerprint([args.gguf, perplexity, quantize])
    base = os.path.join(work, f"llama-base-{key}.kld")
    if not os.path.isfile(base):
        run([perplexity, "-m", args.gguf, "--kl-divergence-base", base] + common, capture_output=True)
    rows = {}
    for qtype in LLAMA_TYPES:
        gguf = os.path.join(work, f"llama-{qtype}-{key}.gguf")
        if not os.path.isfile(gguf):
            run([quantize, args.gguf, gguf, qtype], capture_output=True)
        out = run([perplexity, "-m", gguf, "--kl-divergence-base", base, "--kl-divergence"] + common,
                  capture_output=True, text=True)
        text = out.stdout + out.stderr
        mean = re.search(r"Mean\s+KLD:\s+([0-9.eE+-]+)", text)
        same = re.search(r"Same top p:\s+([0-9.]+)", text)
        rows[qtype] = {"mean_kl": float(mean.group(1)) if mean else None,
                       "top1_agreement": float(same.group(1)) / 100 if same else None,
                       "weights_bytes": os.path.getsize(gguf)}
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="unquantized model directory (the reference)")
    p.add_argument("--positions", type=int, default=2048, help="positions compared (default 2048)")
    p.add_argument("--context", type=int, default=512, help="tokens per sequence (default 512)")
    p.add_argument("--variants", default=",".join(VARIANTS), help="subset of " + ",".join(VARIANTS))
    p.add_argument("--minimax", help="minimax binary (default .build/release/minimax, else .build/debug/minimax)")
    p.add_argument("--work", help="quantized models, logits and llama.cpp files (default /tmp/quant-quality-NAME)")
    p.add_argument("--llama-bin", help="llama.cpp bin directory with llama-perplexity and llama-quantize")
    p.add_argument("--gguf", help="the same checkpoint as a bf16/f32 GGUF (llama.cpp's reference)")
    p.add_argument("--threads", type=int, default=2, help="threads for minimax and llama.cpp (default 2)")
    p.add_argument("--json-out")
    args = p.parse_args()
    args.variants = [v for v in args.variants.split(",") if v]
    for v in args.variants:
        if v not in VARIANTS:
            raise SystemExit(f"unknown variant {v} (known: {', '.join(VARIANTS)})")
    if args.positions < args.context:
        raise SystemExit("--positions must be at least --context")
    args.model = os.path.abspath(args.model)
    work = args.work or f"/tmp/quant-quality-{os.path.basename(os.path.normpath(args.model))}"
    os.makedirs(work, exist_ok=True)
    binary = find_minimax(args.minimax)

    mine, text_path = ours(args, binary, work)
    theirs = llama(args, work, text_path)
    print(f"model {args.model}, {min(r['positions'] for r in mine.values())} positions "
          f"({args.positions // args.context} x {args.context} tokens)")
    print(f"{'engine / weights':28}{'mean KL':>12}{'median KL':>12}{'p99 KL':>12}{'top-1 agree':>13}{'MB':>9}")
    for name, r in mine.items():
        print(f"{'minimax ' + name:28}{r['mean_kl']:12.3e}{r['median_kl']:12.3e}{r['p99_kl']:12.3e}"
              f"{r['top1_agreement'] * 100:12.2f}%{r['weights_bytes'] / 1e6:9.0f}")
    if "skipped" in theirs:
        print(f"llama.cpp: skipped ({theirs['skipped']})")
    else:
        for name, r in theirs.items():
            kl = f"{r['mean_kl']:12.3e}" if r["mean_kl"] is not None else "?".rjust(12)
            agree = f"{r['top1_agreement'] * 100:12.2f}%" if r["top1_agreement"] is not None else "?".rjust(13)
            print(f"{'llama.cpp ' + name:28}{kl}{'-':>12}{'-':>12}{agree}{r['weights_bytes'] / 1e6:9.0f}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"model": args.model, "minimax": mine, "llama.cpp": theirs}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
