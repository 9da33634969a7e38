#!/usr/bin/env python3
"""How much quantization changes a model's predictions, measured as llama.cpp measures it: the mean
KL divergence KL(P_ref || P_quant) of the next-token distributions and the top-1 agreement, over a
few thousand positions, of our int8 / q4 models against our unquantized model — next to llama.cpp's
Q8_0 / Q4_K_M against llama.cpp's own unquantized (bf16/f32) run of the same checkpoint
(`llama-perplexity --kl-divergence-base / --kl-divergence`), when its binaries are there.

    scripts/bench/quant_quality.py --model bench-models/bench-small-bf16 [--positions 2048]
        [--context 512] [--variants int8,int8-g32,q4,q4-symmetric] [--minimax BIN] [--work DIR]
        [--llama-bin DIR --gguf FILE] [--llama-types Q8_0,Q4_K_M] [--json-out FILE]
        [--text FILE] [--scored all|second-half] [--assistant-positions] [--eval N]

Steps, each skipped when its output is already in --work (cached files are named after the source
model's and the engine binary's paths, sizes and modification times, and llama.cpp's after the GGUF,
its binaries, the text, --context and the number of windows, so nothing is reused across models,
texts or rebuilds):
  1. text: the repository's Markdown (README.md, docs/*.md), tokenized by `minimax tokenize`,
     repeated if short, cut into --positions / --context sequences of --context tokens; or, with
     --text FILE, that file (for a trained model, text like its training data: for a chat model,
     `scripts/bench/chat_text.py` renders chats as `minimax train` does), tokenized in pieces of at
     most 32K characters cut at line ends (`minimax tokenize --text` takes one command-line
     argument, which Linux caps at 128 KB), never repeated (too short a file is an error);
  2. `minimax quantize` of --model for each variant (int8: one scale per row; int8-g32: a scale per
     32; q4: groups of 32 with scale and min; q4-symmetric: groups of 32, levels -8..7 about zero;
     these four quantize the experts; int8-all / q4-all: every matrix but the embedding, LM head
     included, which is what llama.cpp's Q8_0 / Q4_K_M quantize (q4-all keeps attention and head at
     int8, as Q4_K_M keeps some at 6 bits; q4-all-4bit-head has 4-bit attention, q4-all-4bit a 4-bit
     head too); the -act8 variants run `--precision int8`, activations
     quantized to int8 per block of 32, as llama.cpp's Q8_0 / Q4_K_M products do (prompt rows
     too: MINIMAX_QUANTIZED_TILED_BF16=0); int8-act8 and
     q4-act8 are not in the default list); a variant that cannot be made or run is reported with
     the engine's message instead of numbers;
  3. `minimax logits` of every sequence for the reference and each variant (one forward pass each);
  4. KL and top-1 agreement per variant, in float64 from the float32 logits, over the positions
     --scored names: all (default) or second-half (the positions llama-perplexity scores: n/2 to
     n-2 of each window of n, each predicting the next token, so that both engines' numbers cover
     the same tokens); with --assistant-positions also over the positions whose next token is in
     an assistant turn of the M1 chat format (after `<beginning_of_sentence>ai name=assistant\\n`,
     through `<end_of_sentence>`: the tokens `minimax train` learns from a chat). "llama KL" is the
     same mean KL computed llama.cpp's way (reference log-probs rounded to its 16-bit format, terms
     with reference log-prob <= -16 left out);
  5. with --eval N: `minimax eval --problems N` (greedy accuracy on held-out problems of the built-in
     arithmetic task) of the reference and each variant, at the variant's precision;
  6. llama.cpp (optional): llama-quantize the --gguf to each of --llama-types (default Q8_0, Q4_K_M;
     its log is kept, and the tensor types it actually chose are reported: K-quants need rows that
     are a multiple of 256 and fall back to other types on narrower ones), then llama-perplexity
     --kl-divergence-base on the --gguf and --kl-divergence on each, with the same text and context.
     The token ids llama.cpp saved are checked against ours. llama-perplexity tokenizes without
     parsing special tokens: for chat text, give it a GGUF whose control tokens are user-defined
     (`scripts/bench/gguf_user_specials.py`), else its ids differ from ours. With
     --assistant-positions each quantized GGUF's log-probs are saved too (--kl-divergence-base on
     it), and llama.cpp's KL over the assistant positions is computed from the two files, llama.cpp's
     way (so is its mean over all scored positions, printed next to llama.cpp's own as a check).
     When llama.cpp's ids and scored positions are ours (--scored second-half), the KL of its
     unquantized run against ours is printed too: how far the two references are apart.
Means carry a standard error (± s.e., over positions; llama.cpp's is its own).
The trained bundled model on held-out chats, as in docs/benchmarks.md ("Quantization quality on the
trained model"):

    scripts/bench/quant_quality.py --model models/tiny-arithmetic --text HELDOUT.txt --context 256
        --positions 16384 --scored second-half --assistant-positions --eval 1000 --variants ...
        --llama-bin DIR --gguf TINY-USERSPECIALS.gguf --llama-types Q8_0,Q4_K_M,Q4_0,Q4_1

Random-weight models (bench-small) have near-uniform distributions: their absolute KL is small;
compare rows with each other, on the same model. Needs numpy (the reference venv has it).
"""
import argparse
import glob
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
from collections import Counter

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
    "int8-act8": (["--type", "int8"], "int8"),
    "q4-act8": (["--type", "q4"], "int8"),
}
DEFAULT_VARIANTS = [v for v in VARIANTS if v not in ("int8-act8", "q4-act8")]
LLAMA_TYPES = ["Q8_0", "Q4_K_M"]
# The M1 chat format's assistant turn: its header, and the marker that ends it (learned too).
ASSISTANT_HEADER = "<beginning_of_sentence>ai name=assistant\n"
TURN_END = "<end_of_sentence>"


def log(message):
    print(f"[quant_quality] {message}", file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    log(" ".join(cmd) if len(" ".join(cmd)) < 400 else " ".join(cmd)[:400] + " ...")
    return subprocess.run(cmd, check=True, **kwargs)


def failure(error):
    """A failed command's message, for a report line."""
    text = ((error.stderr or "") if isinstance(error.stderr, str) else (error.stderr or b"").decode(errors="replace"))
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return f"exit {error.returncode}: " + (lines[-1] if lines else "(no message)")


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


def tokenize(binary, model, text):
    out = run([binary, "tokenize", "--model", model, "--text", text], capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def token_ids(binary, model, text, needed):
    ids = tokenize(binary, model, text)
    if not ids:
        raise SystemExit("the tokenizer gave no ids")
    while len(ids) < needed:
        ids = ids + ids
    return ids[:needed]


def text_pieces(text, limit=32768):
    """text in pieces of at most limit characters, each cut after a newline that is followed by a
    non-space character (a byte-level BPE's pre-tokenizer never joins across such a point)."""
    pieces, start = [], 0
    while len(text) - start > limit:
        cut = -1
        for m in re.finditer(r"\n(?=\S)", text[start:start + limit]):
            cut = start + m.end()
        if cut <= start:
            raise SystemExit(f"--text: no line end to cut at in {limit} characters from character {start}")
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def file_ids(binary, model, path, needed):
    """The first `needed` token ids of the file at path, tokenized piece by piece."""
    ids = []
    for piece in text_pieces(open(path, encoding="utf-8").read()):
        ids += tokenize(binary, model, piece)
        if len(ids) >= needed:
            return ids[:needed]
    raise SystemExit(f"--text {path} gives {len(ids)} tokens, fewer than --positions {needed}: "
                     "give a longer text or fewer positions")


def assistant_targets(binary, model, ids):
    """Per token: whether it is in an assistant turn (content and closing marker), the tokens
    `minimax train` learns from a chat line."""
    header, end = tokenize(binary, model, ASSISTANT_HEADER), tokenize(binary, model, TURN_END)
    if len(end) != 1:
        raise SystemExit(f"--assistant-positions: {TURN_END!r} is not one token for this tokenizer")
    learned, inside, n = np.zeros(len(ids), dtype=bool), False, len(header)
    for k, token in enumerate(ids):
        if inside:
            learned[k] = True
            if token == end[0]:
                inside = False
        elif k + 1 >= n and ids[k + 1 - n:k + 1] == header:
            inside = True
    return learned


def precision_env(precision):
    """The environment of a run at `precision`: under int8, prompt rows stay on the int8-activation
    kernels (MINIMAX_QUANTIZED_TILED_BF16=0; where the CPU has bf16 kernels they would otherwise run
    on them), so the -act8 variants measure the int8 activation scheme itself (decode's arithmetic)."""
    return dict(os.environ, MINIMAX_QUANTIZED_TILED_BF16="0") if precision == "int8" else None


def logits(binary, model, ids, out, threads, precision="exact"):
    """The logits of ids, cached in out under a name that holds a hash of the ids (so a changed text
    never reuses another text's logits)."""
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:12]
    out = out[:-len(".npy")] + f"-{digest}.npy"
    if not os.path.isfile(out):
        run([binary, "logits", "--model", model, "--ids", ",".join(map(str, ids)), "--out", out, "--threads", str(threads),
             "--precision", precision], capture_output=True, text=True, env=precision_env(precision))
    return np.load(out).astype(np.float64)


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def compare(reference, candidate):
    """Per-position KL(P_ref || P_cand) and whether the argmax agrees."""
    lp, lq = log_softmax(reference), log_softmax(candidate)
    kl = (np.exp(lp) * (lp - lq)).sum(axis=-1)
    return kl, reference.argmax(axis=-1) == candidate.argmax(axis=-1)


def like_llama(logits_rows):
    """Log-probs as llama-perplexity saves them (perplexity.cpp, log_softmax with a uint16 output):
    logits below max - 16 clipped, the rest rounded to 65535 steps of (max - min) / 65535."""
    x = np.asarray(logits_rows, dtype=np.float32)
    top = x.max(axis=-1, keepdims=True)
    low = np.maximum(x.min(axis=-1, keepdims=True), top - 16)
    lse = np.log(np.exp((x - top).astype(np.float64)).sum(axis=-1, keepdims=True)).astype(np.float32)
    scale = (top - low) / np.float32(65535)
    safe = np.where(scale > 0, scale, 1)
    codes = np.where(x > low, np.rint((x - low) / safe), 0)
    return (scale * codes + (low - top - lse)).astype(np.float64)


def llama_kl(base_logp, candidate_logp):
    """KL as llama-perplexity's --kl-divergence computes it: terms with base log-prob <= -16 left out."""
    p = np.where(base_logp > -16, np.exp(base_logp), 0.0)
    return (p * (base_logp - candidate_logp)).sum(axis=-1)


def fingerprint(paths):
    """A short hash of files' paths, sizes and modification times: cached models and logits carry the
    source model's and the engine binary's, so a different model or a rebuilt engine never reuses
    another's files left in --work."""
    h = hashlib.sha256()
    for path in paths:
        st = os.stat(path)
        h.update(f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:10]


def scored_positions(context, scored):
    """Indices (within a window) of the logits that count: all, or llama-perplexity's n/2 .. n-2."""
    return np.arange(context) if scored == "all" else np.arange(context // 2, context - 1)


def summary(kl, same):
    if kl.size == 0:
        return {"positions": 0}
    return {"positions": int(kl.size), "mean_kl": float(kl.mean()),
            "mean_kl_se": float(kl.std(ddof=1) / np.sqrt(kl.size)) if kl.size > 1 else None, "median_kl": float(np.median(kl)),
            "p99_kl": float(np.quantile(kl, 0.99)), "top1_agreement": float(same.mean())}


def evaluate(binary, model, precision, args):
    """`minimax eval` accuracy and share of well-formed responses, or the reason it failed."""
    try:
        out = run([binary, "eval", "--model", model, "--problems", str(args.eval), "--threads", str(args.threads),
                   "--precision", precision], capture_output=True, text=True, env=precision_env(precision))
    except subprocess.CalledProcessError as error:
        return {"error": failure(error)}
    text = out.stdout + out.stderr
    accuracy, formed = re.search(r"accuracy ([0-9.]+)", text), re.search(r"well-formed ([0-9.]+)", text)
    if not accuracy:
        return {"error": "no accuracy in the output: " + text.strip()[-200:]}
    return {"problems": args.eval, "accuracy": float(accuracy.group(1)),
            "well_formed": float(formed.group(1)) if formed else None}


def ours(args, binary, work):
    sequences = args.positions // args.context
    if args.text:
        ids = file_ids(binary, args.model, args.text, sequences * args.context)
    else:
        # The first 64 KB give far more than the tokens needed, and the whole corpus no longer fits
        # in one command-line argument (Linux caps one at 128 KB).
        ids = token_ids(binary, args.model, corpus_text()[:65536], sequences * args.context)
    chunks = [ids[i * args.context:(i + 1) * args.context] for i in range(sequences)]
    where = scored_positions(args.context, args.scored)
    assistant = None
    if args.assistant_positions:
        targets = assistant_targets(binary, args.model, ids)
        # Logit j of a window predicts token j + 1 of it.
        assistant = [np.append(targets[i * args.context + 1:(i + 1) * args.context], False)[where]
                     for i in range(sequences)]
    source = fingerprint([os.path.join(args.model, "config.json")] + sorted(glob.glob(os.path.join(args.model, "*.safetensors"))))
    engine = fingerprint([binary])
    reference = [logits(binary, args.model, c, os.path.join(work, f"reference-{source}-{engine}-{i}.npy"), args.threads)[where]
                 for i, c in enumerate(chunks)]
    rows = {}
    if args.eval:
        rows["reference"] = {"eval": evaluate(binary, args.model, "exact", args)}
    for name in args.variants:
        arguments, precision = VARIANTS[name]
        model = os.path.join(work, f"model-{source}-" + "".join(a.strip("-") for a in arguments[1:]))
        try:
            if not os.path.isfile(os.path.join(model, "config.json")):
                run([binary, "quantize", "--model", args.model, "--out", model] + arguments, capture_output=True, text=True)
            kls, agree, llama_kls = [], [], []
            for i, c in enumerate(chunks):
                candidate = logits(binary, model, c, os.path.join(work, f"{name}-{source}-{engine}-{i}.npy"),
                                   args.threads, precision)[where]
                kl, same = compare(reference[i], candidate)
                kls.append(kl)
                agree.append(same)
                llama_kls.append(llama_kl(like_llama(reference[i]), log_softmax(candidate)))
        except subprocess.CalledProcessError as error:
            rows[name] = {"error": f"`minimax {error.cmd[1]}` failed, {failure(error)}"}
            log(f"{name}: {rows[name]['error']}")
            continue
        kl, same, kl_llama = np.concatenate(kls), np.concatenate(agree), np.concatenate(llama_kls)
        rows[name] = summary(kl, same)
        rows[name]["mean_kl_llama_way"] = float(kl_llama.mean())
        rows[name]["weights_bytes"] = sum(os.path.getsize(f) for f in glob.glob(os.path.join(model, "*.safetensors")))
        if assistant is not None:
            mask = np.concatenate(assistant)
            rows[name]["assistant"] = summary(kl[mask], same[mask])
            if mask.any():
                rows[name]["assistant"]["mean_kl_llama_way"] = float(kl_llama[mask].mean())
        if args.eval:
            rows[name]["eval"] = evaluate(binary, model, precision, args)
    context = {"ids": ids, "where": where, "reference": reference, "assistant": assistant}
    return rows, context


def read_logprobs(path):
    """A llama-perplexity --kl-divergence-base file: (n_ctx, token ids, log-probs [windows, n_ctx - 1 -
    n_ctx/2, vocab] of the scored positions)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"_logits_":
        raise ValueError(f"{path}: not a llama-perplexity log-probability file")
    n_ctx, n_vocab, n_chunk = struct.unpack("<Iii", data[8:20])
    offset = 20 + 4 * n_ctx * n_chunk
    tokens = np.frombuffer(data[20:offset], dtype=np.int32)
    nv = 2 * ((n_vocab + 1) // 2) + 4
    rows = np.frombuffer(data[offset:], dtype=np.uint16).reshape(-1, nv)
    header = rows[:, :4].copy().view(np.float32)  # scale, min log-prob
    logp = header[:, :1].astype(np.float64) * rows[:, 4:4 + n_vocab] + header[:, 1:2].astype(np.float64)
    return n_ctx, tokens, logp.reshape(n_chunk, n_ctx - 1 - n_ctx // 2, n_vocab)


def tensor_types(log_text):
    """The types llama-quantize wrote, counted over tensors, and its fallback warning."""
    types = Counter(re.findall(r"converting to (\w+)", log_text))
    kept = len(re.findall(r"type =\s+\w+, size =", log_text))
    fallback = re.search(r"(\d+) of (\d+) tensor\(s\) required fallback", log_text)
    return {"converted": dict(types), "kept": kept,
            "fallback": f"{fallback.group(1)} of {fallback.group(2)}" if fallback else "0"}


def llama(args, work, mine):
    """llama.cpp's KL against its own run of --gguf, per --llama-types; {"skipped": reason} when it cannot."""
    if not args.llama_bin or not args.gguf:
        return {"skipped": "no --llama-bin / --gguf given"}
    perplexity = os.path.join(args.llama_bin, "llama-perplexity")
    quantize = os.path.join(args.llama_bin, "llama-quantize")
    missing = [p for p in (perplexity, quantize) if not os.path.isfile(p)]
    if missing:
        return {"skipped": f"missing {', '.join(missing)} (build the llama-perplexity and llama-quantize targets)"}
    if args.text:
        text_path = os.path.abspath(args.text)
    else:
        text_path = os.path.join(work, "text.txt")
        with open(text_path, "w", encoding="utf-8") as f:
            f.write(corpus_text() * 8)
    windows = args.positions // args.context
    # --no-repack: b11434's repacked Q4_K path aborts (SIGABRT in ggml_cpu_extra_compute_forward) on
    # AMD Zen 4, as its AMX repacking dies on some Xeons; the plain kernels compute the same values.
    common = ["-f", text_path, "-c", str(args.context), "--chunks", str(windows), "-t", str(args.threads), "--no-repack"]
    # Keyed by the GGUF, the llama.cpp binaries, the text and the window plan, as ours are by model and engine.
    with open(text_path, "rb") as f:
        text_hash = hashlib.sha256(f.read()).hexdigest()[:10]
    binaries = fingerprint([args.gguf, perplexity, quantize])
    key = f"{binaries}-{text_hash}-{args.context}x{windows}"

    def perplexity_run(cmd, log_path, expect=None, tries=3):
        """The command's output; with expect (a regex), run again (up to tries in all) while the output
        lacks it: now and then llama-perplexity (b11434) exits 0 with its printout cut short, at a
        different point each time (its last line, "Same top p", is what is looked for), so the
        output is checked; the short ones are kept as LOG.1, ...."""
        for attempt in range(1, tries + 1):
            try:
                out = run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace")
            except subprocess.CalledProcessError as error:
                with open(log_path, "w") as f:
                    f.write((error.stdout or "") + (error.stderr or ""))
                raise RuntimeError(f"`{os.path.basename(cmd[0])}` failed, {failure(error)} (log: {log_path})")
            text = out.stdout + out.stderr
            with open(log_path, "w", encoding="utf-8") as f:
                f.write(text)
            if expect is None or re.search(expect, text):
                return text
            os.replace(log_path, f"{log_path}.{attempt}")
            log(f"no {expect!r} in the output of try {attempt} (exit 0): kept as {log_path}.{attempt}")
        raise RuntimeError(f"`{os.path.basename(cmd[0])}` printed no result in {tries} tries (logs: {log_path}.N)")

    result = {}
    base = os.path.join(work, f"llama-base-{key}.kld")
    try:
        if not os.path.isfile(base):
            perplexity_run([perplexity, "-m", args.gguf, "--kl-divergence-base", base + ".tmp"] + common, base + ".log")
            os.replace(base + ".tmp", base)
        n_ctx, tokens, base_logp = read_logprobs(base)
    except (RuntimeError, ValueError) as error:
        return {"skipped": str(error)}
    ours_ids = np.array(mine["ids"][:len(tokens)])
    differ = int((ours_ids != tokens).sum()) if len(ours_ids) == len(tokens) else None
    result["tokens"] = {"count": int(len(tokens)), "differ": differ}
    where = mine["where"]
    llama_where = np.arange(n_ctx // 2, n_ctx - 1)
    comparable = n_ctx == args.context and np.array_equal(where, llama_where) and differ == 0
    if comparable:
        # Ours against llama.cpp's unquantized run, on the same tokens: how far the references are apart.
        ours_logp = np.concatenate([log_softmax(r) for r in mine["reference"]])
        theirs = base_logp.reshape(-1, base_logp.shape[-1])
        result["reference_gap"] = {"mean_kl_llama_vs_ours": float(llama_kl(theirs, ours_logp).mean()),
                                   "top1_agreement": float((theirs.argmax(-1) == ours_logp.argmax(-1)).mean())}
    for qtype in args.llama_types:
        gguf = os.path.join(work, f"llama-{qtype}-{key}.gguf")
        row = {}
        try:
            if not os.path.isfile(gguf):
                try:
                    out = run([quantize, args.gguf, gguf + ".tmp", qtype], capture_output=True, text=True)
                except subprocess.CalledProcessError as error:
                    raise RuntimeError(f"llama-quantize {qtype} failed, {failure(error)}")
                with open(gguf + ".log", "w") as f:
                    f.write(out.stdout + out.stderr)
                os.replace(gguf + ".tmp", gguf)
            if os.path.isfile(gguf + ".log"):
                row["tensor_types"] = tensor_types(open(gguf + ".log").read())
            text = perplexity_run([perplexity, "-m", gguf, "--kl-divergence-base", base, "--kl-divergence"] + common,
                                  gguf + ".kld.log", expect=r"Same top p:")
        except RuntimeError as error:
            result[qtype] = {"error": str(error)}
            continue
        mean = re.search(r"Mean\s+KLD:\s+([0-9.eE+-]+)(?:\s+\S+\s+([0-9.eE+-]+))?", text)
        same = re.search(r"Same top p:\s+([0-9.]+)", text)
        row.update({"mean_kl": float(mean.group(1)) if mean else None, "mean_kl_se": float(mean.group(2)) if mean and mean.group(2) else None,
                    "top1_agreement": float(same.group(1)) / 100 if same else None,
                    "weights_bytes": os.path.getsize(gguf)})
        if args.assistant_positions:
            if not comparable:
                row["assistant"] = {"skipped": "llama.cpp's tokens or scored positions are not ours (--scored second-half?)"}
            else:
                dump = gguf[:-len(".gguf")] + ".logprobs"
                try:
                    if not os.path.isfile(dump):
                        perplexity_run([perplexity, "-m", gguf, "--kl-divergence-base", dump + ".tmp"] + common, dump + ".log")
                        os.replace(dump + ".tmp", dump)
                    _, _, candidate = read_logprobs(dump)
                except (RuntimeError, ValueError) as error:
                    row["assistant"] = {"skipped": str(error)}
                else:
                    b = base_logp.reshape(-1, base_logp.shape[-1])
                    c = candidate.reshape(-1, candidate.shape[-1])
                    kl, agree = llama_kl(b, c), b.argmax(-1) == c.argmax(-1)
                    mask = np.concatenate(mine["assistant"])
                    row["from_saved_logprobs"] = summary(kl, agree)
                    row["assistant"] = summary(kl[mask], agree[mask])
                    if mask.any():
                        row["assistant"]["mean_kl_llama_way"] = row["assistant"]["mean_kl"]
        result[qtype] = row
    return result


def megabytes(size):
    mb = size / 1e6
    return f"{mb:9.2f}" if mb < 10 else f"{mb:9.0f}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="unquantized model directory (the reference)")
    p.add_argument("--positions", type=int, default=2048, help="tokens compared: windows x --context (default 2048)")
    p.add_argument("--context", type=int, default=512, help="tokens per sequence (default 512)")
    p.add_argument("--variants", default=",".join(DEFAULT_VARIANTS), help="subset of " + ",".join(VARIANTS)
                   + " (default: all but int8-act8, q4-act8)")
    p.add_argument("--minimax", help="minimax binary (default .build/release/minimax, else .build/debug/minimax)")
    p.add_argument("--work", help="quantized models, logits and llama.cpp files (default /tmp/quant-quality-NAME)")
    p.add_argument("--llama-bin", help="llama.cpp bin directory with llama-perplexity and llama-quantize")
    p.add_argument("--gguf", help="the same checkpoint as a bf16/f32 GGUF (llama.cpp's reference)")
    p.add_argument("--llama-types", default=",".join(LLAMA_TYPES), help="llama-quantize types (default Q8_0,Q4_K_M)")
    p.add_argument("--threads", type=int, default=2, help="threads for minimax and llama.cpp (default 2)")
    p.add_argument("--text", help="text file for both engines (default: the repository's Markdown)")
    p.add_argument("--scored", choices=["all", "second-half"], default="all",
                   help="positions of each window compared: all (default) or llama-perplexity's second half")
    p.add_argument("--assistant-positions", action="store_true",
                   help="also compare over the positions that predict an assistant-turn token (chat text)")
    p.add_argument("--eval", type=int, default=0, metavar="N",
                   help="also `minimax eval --problems N` of the reference and each variant (default: off)")
    p.add_argument("--json-out")
    args = p.parse_args()
    args.variants = [v for v in args.variants.split(",") if v]
    args.llama_types = [t for t in args.llama_types.split(",") if t]
    for v in args.variants:
        if v not in VARIANTS:
            raise SystemExit(f"unknown variant {v} (known: {', '.join(VARIANTS)})")
    if args.positions < args.context:
        raise SystemExit("--positions must be at least --context")
    args.model = os.path.abspath(args.model)
    work = args.work or f"/tmp/quant-quality-{os.path.basename(os.path.normpath(args.model))}"
    os.makedirs(work, exist_ok=True)
    binary = find_minimax(args.minimax)

    mine, context = ours(args, binary, work)
    theirs = llama(args, work, context)
    measured = [r for r in mine.values() if "positions" in r]
    windows = args.positions // args.context
    print(f"model {args.model}, text {args.text or 'repository Markdown'}, {windows} x {args.context} tokens, "
          f"{min(r['positions'] for r in measured) if measured else 0} positions scored ({args.scored})")
    llama_rows = {} if "skipped" in theirs else {k: v for k, v in theirs.items() if k not in ("tokens", "reference_gap")}
    header = f"{'engine / weights':28}{'mean KL':>12}{'± s.e.':>11}{'llama KL':>11}{'median KL':>12}{'p99 KL':>12}{'top-1 agree':>13}"
    print(header + (f"{'accuracy':>10}" if args.eval else "") + f"{'MB':>9}")
    for name, r in mine.items():
        if name == "reference":
            e = r["eval"]
            print(f"{'minimax unquantized':28}" + (f"  eval accuracy {e['accuracy']:.3f}, well-formed {e['well_formed']}"
                                                  if "accuracy" in e else f"  eval failed: {e['error']}"))
            continue
        if "error" in r:
            print(f"{'minimax ' + name:28}  not measured: {r['error']}")
            continue
        line = (f"{'minimax ' + name:28}{r['mean_kl']:12.3e}{r['mean_kl_se']:11.1e}{r['mean_kl_llama_way']:11.3e}{r['median_kl']:12.3e}"
                f"{r['p99_kl']:12.3e}{r['top1_agreement'] * 100:12.2f}%")
        if args.eval:
            e = r["eval"]
            line += f"{e['accuracy']:10.3f}" if "accuracy" in e else f"{'failed':>10}"
        print(line + megabytes(r["weights_bytes"]))
        if args.eval and "error" in r["eval"]:
            print(f"    eval failed: {r['eval']['error']}")
    if "skipped" in theirs:
        print(f"llama.cpp: skipped ({theirs['skipped']})")
    for name, r in llama_rows.items():
        if "error" in r:
            print(f"{'llama.cpp ' + name:28}  not measured: {r['error']}")
            continue
        kl = f"{r['mean_kl']:12.3e}" if r["mean_kl"] is not None else "?".rjust(12)
        agree = f"{r['top1_agreement'] * 100:12.2f}%" if r["top1_agreement"] is not None else "?".rjust(13)
        se = f"{r['mean_kl_se']:11.1e}" if r.get("mean_kl_se") is not None else "?".rjust(11)
        print(f"{'llama.cpp ' + name:28}{kl}{se}{kl[1:]}{'-':>12}{'-':>12}{agree}" + (f"{'-':>10}" if args.eval else "")
              + megabytes(r["weights_bytes"]))
    if args.assistant_positions:
        counts = [r["assistant"]["positions"] for r in mine.values() if "assistant" in r]
        print(f"assistant-turn positions ({counts[0] if counts else 0} of them):")
        print(f"{'engine / weights':28}{'mean KL':>12}{'± s.e.':>11}{'llama KL':>11}{'median KL':>12}{'p99 KL':>12}{'top-1 agree':>13}")
        for name, r in list(mine.items()) + [("llama.cpp " + k, v) for k, v in llama_rows.items()]:
            a = r.get("assistant")
            if not a:
                continue
            label = name if name.startswith("llama.cpp") else "minimax " + name
            if not a.get("positions"):
                print(f"{label:28}  " + a.get("skipped", "no positions"))
                continue
            ours_kl = f"{a['mean_kl']:12.3e}" if not name.startswith("llama.cpp") else f"{'-':>12}"
            print(f"{label:28}{ours_kl}{a['mean_kl_se']:11.1e}{a['mean_kl_llama_way']:11.3e}{a['median_kl']:12.3e}{a['p99_kl']:12.3e}"
                  f"{a['top1_agreement'] * 100:12.2f}%")
    if "skipped" not in theirs:
        t = theirs["tokens"]
        print(f"llama.cpp's token ids: {t['count']}, "
              + ("the same as ours" if t["differ"] == 0 else
                 f"{t['differ']} differ from ours" if t["differ"] is not None else "a different count from ours"))
        if "reference_gap" in theirs:
            g = theirs["reference_gap"]
            print(f"llama.cpp unquantized against minimax unquantized: KL {g['mean_kl_llama_vs_ours']:.3e} (llama.cpp's way), "
                  f"top-1 agreement {g['top1_agreement'] * 100:.2f}%")
        for name, r in llama_rows.items():
            if "error" in r:
                continue
            if "tensor_types" in r:
                types = r["tensor_types"]
                print(f"llama.cpp {name} tensors: " + ", ".join(f"{k} x{v}" for k, v in sorted(types["converted"].items()))
                      + f", {types['kept']} kept (norms, router); fallback for {types['fallback']}")
            if "from_saved_logprobs" in r and r["mean_kl"] is not None:
                print(f"llama.cpp {name} mean KL from the saved log-probs: {r['from_saved_logprobs']['mean_kl']:.3e} "
                      f"(its own report: {r['mean_kl']:.3e})")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"model": args.model, "text": args.text, "context": args.context, "windows": windows,
                       "scored": args.scored, "minimax": mine, "llama.cpp": theirs}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
