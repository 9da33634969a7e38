#!/usr/bin/env python3
"""Long-context behaviour of our engine (no peers): chunked prefill of very long prompts and
decoding after them, on the random-weight bench-long (hybrid: 7 lightning + 1 softmax layer) and
bench-long-lightning (8 lightning layers) checkpoints of scripts/bench/make_models.py.

    /work/main/.venv-ref/bin/python scripts/bench/long_context.py [--smoke] [--threads 2]
        [--only lightning-prefill,lightning-1m,hybrid-decode,hybrid-128k] [--json-out FILE]

OPT-IN AND LONG: the full run prefills 1,048,576 tokens (lightning) and 131,072 (hybrid), which
takes many minutes on 2 cores; --smoke caps every length at 16,384 to show it works in a minute.

Each step is one `minimax bench ... --json` process (prompt ids are the bench's pseudo-random ids):
  lightning-prefill  bench-long-lightning --prompt-tokens 1024,2048,65536: prefill tokens/s at 2K
                     and 64K (their ratio: ~1 when prefill is linear in the prompt length), and
                     decode after 1K
  lightning-1m       bench-long-lightning --prompt-tokens 1048576: chunked prefill of 1M tokens,
                     decode after it; decode ms/token after 1K vs after 1M (ratio: ~1 when the
                     lightning state is constant-size)
  hybrid-decode      bench-long --prompt-tokens 1024 --context 32768: decode ms/token after 1K vs
                     after 32K (the softmax layer's KV cache grows; the lightning ones do not)
  hybrid-128k        bench-long --prompt-tokens 131072: chunked prefill of 128K tokens, decode
                     after it, and the process's peak resident memory against weights + cache
                     (the engine's cache_bytes: softmax KV + lightning states) and against
                     weights + the softmax KV cache alone in float32
While a step runs, a line every --progress-every seconds gives its elapsed time and resident memory;
a step whose resident memory passes --max-rss-gib (default 22, the machine has 24) is stopped.
"""
import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import make_models  # noqa: E402

FULL = {"lightning_prefill": (1024, 2048, 65536), "lightning_long": 1048576,
        "hybrid_decode": (1024, 32768), "hybrid_long": 131072}
SMOKE_CAP = 16384
STEPS = ["lightning-prefill", "lightning-1m", "hybrid-decode", "hybrid-128k"]


def log(message):
    print(f"[long-context {time.strftime('%H:%M:%S')}] {message}", flush=True)


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_bench(binary, args, cfg, label, expected_seconds=None):
    cmd = [binary, "bench", *args, "--threads", str(cfg.threads), "--json"]
    if cfg.prefill_chunk:
        cmd += ["--prefill-chunk", str(cfg.prefill_chunk)]
    log(f"{label}: {' '.join(cmd)}" + (f"  (expect ~{expected_seconds / 60:.1f} min)" if expected_seconds else ""))
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    killed = [None]
    done = threading.Event()

    def watch():
        last_print = time.time()
        while not done.wait(1.0):
            rss = rss_bytes(proc.pid)
            peak[0] = max(peak[0], rss)
            if rss > cfg.max_rss_gib * 2**30:
                killed[0] = f"resident memory {rss / 2**30:.1f} GiB passed --max-rss-gib {cfg.max_rss_gib}"
                proc.kill()
                return
            if time.time() - start > cfg.timeout:
                killed[0] = f"timed out after {cfg.timeout} s"
                proc.kill()
                return
            if time.time() - last_print >= cfg.progress_every:
                last_print = time.time()
                log(f"{label}: running {time.time() - start:.0f} s, resident {rss / 2**30:.2f} GiB")

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    done.set()
    watcher.join()
    seconds = time.time() - start
    if killed[0]:
        raise RuntimeError(killed[0])
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {(err or out)[-800:]}")
    line = next((l for l in reversed(out.strip().splitlines()) if l.strip().startswith("{")), None)
    if line is None:
        raise RuntimeError(f"no JSON in the output: {out[-500:]}")
    report = json.loads(line)
    report["wall_seconds"] = seconds
    report["sampled_peak_rss_bytes"] = peak[0]
    log(f"{label}: done in {seconds:.0f} s")
    return report


def checkpoint_bytes(model_dir):
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(model_dir, "*.safetensors")))


def softmax_kv_bytes(model_dir, tokens, bytes_per_value=4):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    softmax_layers = sum(1 for t in c["layer_types"] if t == "full_attention")
    head_dim = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    return softmax_layers * 2 * c["num_key_value_heads"] * head_dim * tokens * bytes_per_value


def find_minimax(path):
    binary = path or os.path.join(ROOT, ".build", "release", "minimax")
    if not os.path.isfile(binary):
        raise SystemExit(f"{binary} not found: build it with `swift build -c release` or pass --minimax")
    return binary


def gib(b):
    return f"{b / 2**30:.2f} GiB"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--smoke", action="store_true", help=f"cap every length at {SMOKE_CAP} tokens (a quick check)")
    p.add_argument("--only", help="comma-separated subset of " + ",".join(STEPS))
    p.add_argument("--decode-tokens", type=int, default=64, help="tokens decoded after each prompt (default 64)")
    p.add_argument("--prefill-chunk", type=int, help="tokens per forward call while prefilling (engine default 2048)")
    p.add_argument("--minimax", help="minimax binary (default .build/release/minimax)")
    p.add_argument("--models-dir", default=make_models.DEFAULT_OUT)
    p.add_argument("--max-rss-gib", type=float, default=22.0)
    p.add_argument("--timeout", type=int, default=4 * 3600, help="seconds allowed per step")
    p.add_argument("--progress-every", type=float, default=30.0, help="seconds between progress lines")
    p.add_argument("--json-out")
    cfg = p.parse_args()
    steps = STEPS if not cfg.only else [s.strip() for s in cfg.only.split(",") if s.strip()]
    for s in steps:
        if s not in STEPS:
            raise SystemExit(f"unknown step '{s}' (known: {', '.join(STEPS)})")

    sizes = dict(FULL)
    if cfg.smoke:
        cap = lambda n: min(n, SMOKE_CAP)  # noqa: E731
        sizes = {"lightning_prefill": tuple(sorted(set(cap(n) for n in FULL["lightning_prefill"]))),
                 "lightning_long": cap(FULL["lightning_long"]), "hybrid_decode": tuple(cap(n) for n in FULL["hybrid_decode"]),
                 "hybrid_long": cap(FULL["hybrid_long"])}
    binary = find_minimax(cfg.minimax)
    log("models")
    paths = make_models.ensure(["bench-long", "bench-long-lightning"], os.path.abspath(cfg.models_dir))
    hybrid, lightning = paths["bench-long"], paths["bench-long-lightning"]
    results = {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "threads": cfg.threads,
               "smoke": cfg.smoke, "sizes": sizes, "decode_tokens": cfg.decode_tokens, "steps": {}}
    summary = []
    prefill_rate = None  # lightning tokens/s, for time estimates

    def step(name, fn):
        if name not in steps:
            return
        try:
            results["steps"][name] = fn()
        except Exception as e:  # noqa: BLE001
            results["steps"][name] = {"error": str(e)}
            summary.append(f"{name}: FAILED: {' '.join(str(e).split())[:300]}")
            log(f"{name}: FAILED: {e}")

    def lightning_prefill():
        nonlocal prefill_rate
        lengths = sizes["lightning_prefill"]
        r = run_bench(binary, ["--model", lightning, "--prompt-tokens", ",".join(map(str, lengths)),
                               "--decode-tokens", str(cfg.decode_tokens)], cfg, "lightning-prefill")
        tps = {e["tokens"]: e["tokens_per_second"] for e in r["prefill"]}
        short, long_ = (2048 if 2048 in tps else min(tps)), max(tps)
        prefill_rate = tps[long_]
        summary.append(f"lightning-only prefill: {tps[short]:.0f} tok/s at {short} tokens, {tps[long_]:.0f} tok/s at "
                       f"{long_} tokens: ratio {long_}/{short} = {tps[long_] / tps[short]:.2f}")
        d = r["decode"][0]
        summary.append(f"lightning-only decode after {d['context']}: {d['milliseconds_per_token']:.2f} ms/token")
        return r

    def lightning_long():
        n = sizes["lightning_long"]
        eta = n / prefill_rate if prefill_rate else None
        r = run_bench(binary, ["--model", lightning, "--prompt-tokens", str(n),
                               "--decode-tokens", str(cfg.decode_tokens), "--skip-bandwidth"], cfg, "lightning-1m", eta)
        p, d = r["prefill"][0], r["decode"][0]
        summary.append(f"lightning-only chunked prefill of {n} tokens: {p['seconds']:.0f} s = {p['tokens_per_second']:.0f} "
                       f"tok/s; decode after it {d['milliseconds_per_token']:.2f} ms/token (cache "
                       f"{d['cache_bytes'] / 1e6:.1f} MB); peak resident {gib(r['peak_resident_bytes'])}")
        short = results["steps"].get("lightning-prefill", {}).get("decode", [{}])[0]
        if short.get("milliseconds_per_token"):
            summary.append(f"lightning-only decode ms/token after {short['context']} vs after {n}: "
                           f"{short['milliseconds_per_token']:.2f} vs {d['milliseconds_per_token']:.2f} "
                           f"(ratio {d['milliseconds_per_token'] / short['milliseconds_per_token']:.2f})")
        return r

    def hybrid_decode():
        short, long_ = sizes["hybrid_decode"]
        r = run_bench(binary, ["--model", hybrid, "--prompt-tokens", str(short), "--context", str(long_),
                               "--decode-tokens", str(cfg.decode_tokens), "--skip-bandwidth"], cfg, "hybrid-decode")
        ms = {e["context"]: e for e in r["decode"]}
        a, b = ms[short], ms[long_]
        summary.append(f"hybrid decode ms/token after {short} vs after {long_}: {a['milliseconds_per_token']:.2f} vs "
                       f"{b['milliseconds_per_token']:.2f} (ratio {b['milliseconds_per_token'] / a['milliseconds_per_token']:.2f}; "
                       f"cache {a['cache_bytes'] / 1e6:.1f} -> {b['cache_bytes'] / 1e6:.1f} MB)")
        return r

    def hybrid_long():
        n = sizes["hybrid_long"]
        r = run_bench(binary, ["--model", hybrid, "--prompt-tokens", str(n), "--decode-tokens", str(cfg.decode_tokens),
                               "--skip-bandwidth"], cfg, "hybrid-128k")
        p, d = r["prefill"][0], r["decode"][0]
        weights = checkpoint_bytes(hybrid)
        kv = softmax_kv_bytes(hybrid, n + cfg.decode_tokens)
        peak = r["peak_resident_bytes"]
        r["memory"] = {"peak_resident_bytes": peak, "checkpoint_bytes": weights, "cache_bytes": d["cache_bytes"],
                       "softmax_kv_fp32_bytes": kv}
        summary.append(f"hybrid chunked prefill of {n} tokens: {p['seconds']:.0f} s = {p['tokens_per_second']:.0f} tok/s; "
                       f"decode after it {d['milliseconds_per_token']:.2f} ms/token")
        summary.append(f"hybrid memory after the {n}-token prompt: peak resident {gib(peak)} vs weights {gib(weights)} "
                       f"+ cache {gib(d['cache_bytes'])} = {gib(weights + d['cache_bytes'])} (ratio "
                       f"{peak / (weights + d['cache_bytes']):.2f}); softmax KV alone in float32: {gib(kv)}, "
                       f"weights + it = {gib(weights + kv)} (ratio {peak / (weights + kv):.2f})")
        return r

    step("lightning-prefill", lightning_prefill)
    step("lightning-1m", lightning_long)
    step("hybrid-decode", hybrid_decode)
    step("hybrid-128k", hybrid_long)

    header = (f"long context, ours only ({results['date']}, {cfg.threads} threads, {cfg.decode_tokens} decode tokens"
              f"{', --smoke: lengths capped at %d' % SMOKE_CAP if cfg.smoke else ''})")
    text = "\n".join([header] + ["  " + s for s in summary])
    print()
    print(text)
    results["summary"] = text
    if cfg.json_out:
        with open(cfg.json_out, "w") as f:
            json.dump(results, f, indent=1)
        log(f"wrote {cfg.json_out}")
    return 0 if all("error" not in v for v in results["steps"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
