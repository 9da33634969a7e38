#!/usr/bin/env python3
"""Serving throughput and latency: `minimax serve` against `llama-server` on the same weights, the
same threads, the same prompts and lengths, and the same load generator (the official `openai`
Python client, one thread per concurrent stream).

    .venv-ref/bin/python scripts/bench/serve.py [--models-dir DIR] [--model bench-small-bf16]
        [--threads 2] [--concurrency 1,8] [--requests 16] [--prompt-tokens 128] [--max-tokens 128]
        [--engines minimax,llama.cpp] [--json-out FILE]

For each engine and each concurrency C, C client threads each send streaming completions back to
back until `--requests` have finished in all; every request sends `--prompt-tokens` token ids (the
same ids but for a first token that differs per request, so no engine can reuse a cached prefix;
llama-server is also asked not to, `cache_prompt: false`) and asks for exactly `--max-tokens` greedy
tokens (`ignore_eos`). Reported per run: aggregate
generated tokens/s (all completion tokens ÷ wall time), time to first token p50/p95 and
inter-token latency p50/p95 (gaps between streamed chunks), and the ratios the serving issue asks
for: minimax at C=8 ÷ minimax at C=1, and minimax ÷ llama.cpp at each C.

Models come from scripts/bench/make_models.py (made if missing); llama-server is built from the
pinned llama.cpp release by scripts/bench/llamacpp.py (cached under <models-dir>/llama.cpp) and
reads a bf16 GGUF converted from the same checkpoint. `minimax serve` runs from
.build/release/minimax (built if missing). Engines run one after another, never together.
"""
import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import llamacpp  # noqa: E402
import make_models  # noqa: E402


def log(message):
    print(f"[serve-bench] {message}", flush=True)


def ensure_openai():
    try:
        import openai  # noqa: F401
    except ImportError:
        log(f"pip install openai into {sys.prefix}")
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "openai"])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, process, timeout=600):
    start = time.time()
    while time.time() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout} s")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


class Server:
    """A server process on a free loopback port, stopped on exit."""

    def __init__(self, name, command, port, health, log_path):
        self.name, self.command, self.port, self.health, self.log_path = name, command, port, health, log_path

    def __enter__(self):
        log(f"starting {self.name}: {' '.join(self.command)}")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(self.command, stdout=self.log_file, stderr=subprocess.STDOUT)
        wait_ready(f"http://127.0.0.1:{self.port}{self.health}", self.process)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()


def one_request(client, model, prompt, max_tokens):
    """A streaming completion: (completion tokens, time to first token, gaps between chunks)."""
    start = time.perf_counter()
    first, last, gaps, chunks = None, None, [], 0
    stream = client.completions.create(
        model=model, prompt=prompt, max_tokens=max_tokens, temperature=0, stream=True,
        stream_options={"include_usage": True}, extra_body={"ignore_eos": True, "cache_prompt": False})
    usage = None
    for chunk in stream:
        now = time.perf_counter()
        if chunk.usage is not None:
            usage = chunk.usage
        if chunk.choices and (chunk.choices[0].text or chunk.choices[0].finish_reason is None):
            if first is None:
                first = now - start
            elif last is not None:
                gaps.append(now - last)
            last = now
            chunks += 1
    tokens = usage.completion_tokens if usage is not None else chunks
    return tokens, first if first is not None else time.perf_counter() - start, gaps


def load_run(base_url, model, prompt, max_tokens, concurrency, requests):
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=600)
    lock = threading.Lock()
    remaining = [requests]
    results, errors = [], []

    def worker():
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
                index = remaining[0]
            try:
                # A different first token per request: no engine can reuse another request's prefix.
                r = one_request(client, model, [32 + index % 200] + prompt[1:], max_tokens)
                with lock:
                    results.append(r)
            except Exception as e:  # the run reports failures; it does not hide them
                with lock:
                    errors.append(repr(e))

    # Warm-up request (scratch memory, page faults), not counted.
    one_request(client, model, prompt, min(max_tokens, 8))
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    tokens = sum(r[0] for r in results)
    ttft = sorted(r[1] for r in results)
    gaps = sorted(g for r in results for g in r[2])

    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] if values else None

    return {
        "concurrency": concurrency, "requests": len(results), "errors": errors, "seconds": wall,
        "completion_tokens": tokens, "tokens_per_second": tokens / wall if wall > 0 else 0,
        "ttft_p50": pct(ttft, 0.5), "ttft_p95": pct(ttft, 0.95),
        "itl_p50": pct(gaps, 0.5), "itl_p95": pct(gaps, 0.95),
        "itl_mean": statistics.fmean(gaps) if gaps else None,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models-dir", default=make_models.DEFAULT_OUT)
    p.add_argument("--model", default="bench-small-bf16", help="a make_models.py checkpoint name")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--concurrency", default="1,8", help="concurrent streams, comma-separated")
    p.add_argument("--requests", type=int, default=16, help="requests per run (at least the concurrency)")
    p.add_argument("--prompt-tokens", type=int, default=128)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--engines", default="minimax,llama.cpp")
    p.add_argument("--minimax-args", default="", help="extra arguments for minimax serve (e.g. '--precision bf16')")
    p.add_argument("--llama-cache", help="llama.cpp cache (default <models-dir>/llama.cpp)")
    p.add_argument("--json-out")
    args = p.parse_args()

    ensure_openai()
    levels = [int(c) for c in args.concurrency.split(",")]
    model_dir = os.path.join(args.models_dir, args.model)
    if not os.path.isfile(os.path.join(model_dir, "config.json")):
        subprocess.check_call([sys.executable, os.path.join(HERE, "make_models.py"), "--out", args.models_dir,
                               "--only", args.model])
    with open(os.path.join(model_dir, "config.json")) as f:
        vocab = json.load(f)["vocab_size"]
    # The same token ids for every request and engine (byte-range ids: valid in every tokenizer).
    prompt = [32 + (i * 7919) % 200 for i in range(args.prompt_tokens)]
    slots = max(levels)
    context_per_slot = args.prompt_tokens + args.max_tokens + 16
    engines = args.engines.split(",")
    results = {"cpu": cpu_model(), "threads": args.threads, "model": args.model, "vocab": vocab,
               "prompt_tokens": args.prompt_tokens, "max_tokens": args.max_tokens, "runs": {}}
    logs = os.path.join(args.models_dir, "serve-bench-logs")
    os.makedirs(logs, exist_ok=True)

    for engine in engines:
        port = free_port()
        if engine == "minimax":
            binary = os.path.join(ROOT, ".build", "release", "minimax")
            if not os.path.isfile(binary):
                subprocess.check_call(["swift", "build", "-c", "release"], cwd=ROOT)
            command = [binary, "serve", "--model", model_dir, "--port", str(port), "--threads", str(args.threads),
                       "--max-batch", str(slots), "--served-model-name", args.model] + args.minimax_args.split()
            health = "/health"
        elif engine == "llama.cpp":
            cache = args.llama_cache or os.path.join(args.models_dir, "llama.cpp")
            binary = llamacpp.ensure_target(cache, target="llama-server")
            gguf = llamacpp.ensure_gguf(model_dir, "bf16", cache)
            command = [binary, "-m", gguf, "--port", str(port), "--host", "127.0.0.1", "-t", str(args.threads),
                       "-tb", str(args.threads), "-np", str(slots), "-c", str(slots * context_per_slot),
                       "-cb", "--alias", args.model, "--no-warmup"]
            health = "/health"
        else:
            raise SystemExit(f"unknown engine {engine}")
        with Server(engine, command, port, health, os.path.join(logs, f"{engine}.log")):
            base = f"http://127.0.0.1:{port}/v1"
            for c in levels:
                r = load_run(base, args.model, prompt, args.max_tokens, c, max(args.requests, c))
                results["runs"].setdefault(engine, []).append(r)
                log(f"{engine} C={c}: {r['tokens_per_second']:.1f} tok/s, TTFT p50 {r['ttft_p50']:.3f} s, "
                    f"ITL p50 {r['itl_p50'] if r['itl_p50'] is not None else float('nan'):.4f} s, "
                    f"{r['requests']} requests, {len(r['errors'])} errors")

    print(f"\nCPU: {results['cpu']}; {args.threads} threads; {args.model}; prompt {args.prompt_tokens} tokens, "
          f"{args.max_tokens} generated per request (greedy, ignore_eos)\n")
    print("| engine | streams | tok/s | TTFT p50 | TTFT p95 | ITL p50 | ITL p95 | requests | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for engine, runs in results["runs"].items():
        for r in runs:
            def ms(v):
                return f"{v * 1000:.0f} ms" if v is not None else "-"
            print(f"| {engine} | {r['concurrency']} | {r['tokens_per_second']:.1f} | {ms(r['ttft_p50'])} | "
                  f"{ms(r['ttft_p95'])} | {ms(r['itl_p50'])} | {ms(r['itl_p95'])} | {r['requests']} | {len(r['errors'])} |")
    ours = {r["concurrency"]: r["tokens_per_second"] for r in results["runs"].get("minimax", [])}
    theirs = {r["concurrency"]: r["tokens_per_second"] for r in results["runs"].get("llama.cpp", [])}
    if len(ours) > 1:
        lo, hi = min(ours), max(ours)
        print(f"\nminimax {hi} streams / 1 stream: {ours[hi] / ours[lo]:.2f}x" if lo == 1 else "")
    for c in sorted(set(ours) & set(theirs)):
        print(f"minimax / llama-server at {c} streams: {ours[c] / theirs[c]:.2f}x")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
