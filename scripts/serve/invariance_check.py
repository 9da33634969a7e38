#!/usr/bin/env python3
"""Batch invariance through the HTTP API: a few greedy probe completions (token-id prompts, with
log-probabilities) must come back bit for bit the same alone and while K other random streaming
requests share the running batch (K = 1, 6, 31: batches of 2, 7 and 32), and the same as
`minimax generate` prints for the same prompt.

    .venv-ref/bin/python scripts/serve/invariance_check.py --base-url http://127.0.0.1:8080/v1 \\
        [--minimax .build/release/minimax --model DIR]

The server needs --max-batch 32 (or more) for the largest batch. Exits non-zero on any difference.
"""
import argparse
import json
import random
import subprocess
import sys
import threading
import time

PROBES = [[72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100], [65], [40 + (i * 37) % 180 for i in range(300)]]


def ensure_openai():
    try:
        import openai  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "openai"])


def probe(client, model, ids, max_tokens):
    r = client.completions.create(model=model, prompt=ids, max_tokens=max_tokens, temperature=0, logprobs=5)
    c = r.choices[0]
    return {"text": c.text, "finish_reason": c.finish_reason,
            "token_logprobs": c.logprobs.token_logprobs if c.logprobs else None,
            "top_logprobs": c.logprobs.top_logprobs if c.logprobs else None}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", required=True)
    p.add_argument("--api-key", default="none")
    p.add_argument("--max-tokens", type=int, default=16)
    p.add_argument("--minimax", help="minimax binary, to compare with `minimax generate`")
    p.add_argument("--model", help="model directory the server runs (with --minimax)")
    args = p.parse_args()
    ensure_openai()
    import openai

    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=600)
    model = client.models.list().data[0].id
    failures, checks = 0, 0
    alone = [probe(client, model, ids, args.max_tokens) for ids in PROBES]

    if args.minimax and args.model:
        for ids, reference in zip(PROBES, alone):
            out = subprocess.run([args.minimax, "generate", "--model", args.model, "--ids", ",".join(map(str, ids)),
                                  "--temperature", "0", "--max-tokens", str(args.max_tokens), "--json"],
                                 capture_output=True, text=True, check=True)
            record = json.loads(out.stdout)
            checks += 1
            if record["text"] != reference["text"]:
                failures += 1
                print(f"FAIL generate vs server for a {len(ids)}-token prompt: {record['text']!r} vs {reference['text']!r}")

    for others in (1, 6, 31):
        stop = threading.Event()

        def background(seed):
            rng = random.Random(seed)
            while not stop.is_set():
                ids = [rng.randrange(32, 250) for _ in range(rng.choice([1, 3, 40, 200]))]
                try:
                    for _ in client.completions.create(model=model, prompt=ids, max_tokens=rng.randint(4, 40),
                                                       temperature=1.0, seed=rng.randint(0, 1 << 30), stream=True):
                        if stop.is_set():
                            break
                except Exception as e:
                    print(f"background request failed: {e!r}")

        threads = [threading.Thread(target=background, args=(1000 * others + i,)) for i in range(others)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        results = [None] * len(PROBES)

        def run_probe(i):
            results[i] = probe(client, model, PROBES[i], args.max_tokens)

        probers = [threading.Thread(target=run_probe, args=(i,)) for i in range(len(PROBES))]
        for t in probers:
            t.start()
        for t in probers:
            t.join()
        stop.set()
        for t in threads:
            t.join()
        for i, (a, b) in enumerate(zip(alone, results)):
            checks += 1
            if a != b:
                failures += 1
                print(f"FAIL probe {i} with {others} other requests: {json.dumps(b)[:300]} vs alone {json.dumps(a)[:300]}")
            else:
                print(f"ok   probe {i} ({len(PROBES[i])} prompt tokens) with {others} other requests: identical text and logprobs")
    print(f"invariance_check: {checks - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
