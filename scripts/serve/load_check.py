#!/usr/bin/env python3
"""Load check: N concurrent streaming chat clients (the official `openai` client, one thread each)
against a running OpenAI-compatible server for a fixed time. Every stream must complete (a finish
reason, then the end of the stream) and no request may fail with a 5xx or a transport error.

    .venv-ref/bin/python scripts/serve/load_check.py --base-url http://127.0.0.1:8080/v1 \\
        [--clients 32] [--duration 60] [--max-tokens 48] [--pid SERVER_PID]

With --pid, the server's resident memory (VmRSS) is printed before and after. Exits non-zero on any
failure. Traffic goes only to the given loopback URL; the run is bounded by --duration.
"""
import argparse
import random
import subprocess
import sys
import threading
import time


def ensure_openai():
    try:
        import openai  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "openai"])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", required=True)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--max-tokens", type=int, default=48)
    p.add_argument("--api-key", default="none")
    p.add_argument("--pid", type=int)
    args = p.parse_args()
    if not args.base_url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("load_check only targets loopback servers")
    ensure_openai()
    import openai

    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=300)
    model = client.models.list().data[0].id
    before = rss_kib(args.pid) if args.pid else None
    deadline = time.time() + args.duration
    lock = threading.Lock()
    stats = {"completed": 0, "tokens": 0, "incomplete": 0, "server_errors": 0, "other_errors": 0, "examples": []}

    def client_loop(seed):
        rng = random.Random(seed)
        while time.time() < deadline:
            words = " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "tool", "think"]) for _ in range(rng.randint(1, 40)))
            try:
                stream = client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": words}], stream=True,
                    max_tokens=rng.randint(1, args.max_tokens), temperature=rng.choice([0, 0.7, 1.0]),
                    seed=rng.randint(0, 1 << 30), stream_options={"include_usage": True})
                finish, chunks = None, 0
                for chunk in stream:
                    chunks += 1
                    if chunk.choices and chunk.choices[0].finish_reason is not None:
                        finish = chunk.choices[0].finish_reason
                with lock:
                    if finish is None:
                        stats["incomplete"] += 1
                    else:
                        stats["completed"] += 1
                        stats["tokens"] += chunks
            except openai.APIStatusError as e:
                with lock:
                    key = "server_errors" if e.status_code >= 500 else "other_errors"
                    stats[key] += 1
                    if len(stats["examples"]) < 5:
                        stats["examples"].append(f"HTTP {e.status_code}: {e.message[:200]}")
            except Exception as e:
                with lock:
                    stats["other_errors"] += 1
                    if len(stats["examples"]) < 5:
                        stats["examples"].append(repr(e)[:200])

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(args.clients)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - start
    after = rss_kib(args.pid) if args.pid else None
    print(f"{args.clients} clients for {elapsed:.0f} s: {stats['completed']} streams completed "
          f"({stats['completed'] / elapsed:.1f}/s, {stats['tokens']} chunks), {stats['incomplete']} incomplete, "
          f"{stats['server_errors']} 5xx, {stats['other_errors']} other errors")
    if before is not None:
        print(f"server resident memory: {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB after")
    for example in stats["examples"]:
        print("  " + example)
    failed = stats["incomplete"] + stats["server_errors"] + stats["other_errors"]
    print(f"load_check: {stats['completed']} passed, {failed} failed")
    sys.exit(1 if failed or stats["completed"] == 0 else 0)


if __name__ == "__main__":
    main()
