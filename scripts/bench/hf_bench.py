#!/usr/bin/env python3
"""Prefill and decode throughput of Hugging Face transformers' MiniMaxForCausalLM on PyTorch CPU,
measured the way `minimax bench` measures ours. compare.py runs it in its own process per dtype.

    python scripts/bench/hf_bench.py --model DIR [--dtype float32|bfloat16] [--threads 2]
        [--prompt-tokens 512,4096] [--decode-tokens 128] [--repetitions 1] [--json]

For each prompt length n (the same pseudo-random ids as `minimax bench`):
  prefill  one forward of all n tokens with use_cache=True (logits of the last token only, as
           ours and llama-bench compute), timed; with --repetitions R, R fresh runs, median;
  decode   then, from that cache, decode-tokens greedy steps of one token each (forward with
           the cache, argmax), the loop timed as a whole: "decode after n".
A 16-token forward first warms the weights and allocator, as ours does.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def prompt_ids(n, vocab):
    """The deterministic pseudo-random ids of `minimax bench` (same LCG), so all engines see the same prompt."""
    state = 0x2545F4914F6CDD1D
    mask = (1 << 64) - 1
    out = []
    for _ in range(n):
        state = (state * 6364136223846793005 + 1442695040888963407) & mask
        out.append((state >> 33) % vocab)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--prompt-tokens", default="512,4096")
    p.add_argument("--decode-tokens", type=int, default=128)
    p.add_argument("--repetitions", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    import torch
    import transformers
    from transformers import MiniMaxForCausalLM

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    dtype = getattr(torch, args.dtype)

    t0 = time.perf_counter()
    model = MiniMaxForCausalLM.from_pretrained(args.model, dtype=dtype).eval()
    load_seconds = time.perf_counter() - t0
    vocab = model.config.vocab_size
    lengths = [int(x) for x in args.prompt_tokens.split(",") if x]

    def log(msg):
        print(f"[transformers {args.dtype}] {msg}", file=sys.stderr, flush=True)

    report = {"engine": "transformers", "model": os.path.basename(os.path.normpath(args.model)),
              "dtype": args.dtype, "threads": torch.get_num_threads(), "torch": torch.__version__,
              "transformers": transformers.__version__, "load_seconds": load_seconds,
              "attn_implementation": getattr(model.config, "_attn_implementation", None),
              "prefill": [], "decode": []}
    with torch.inference_mode():
        warm = torch.tensor([prompt_ids(16, vocab)])
        model(warm, use_cache=True, logits_to_keep=1)
        for n in lengths:
            ids = torch.tensor([prompt_ids(n, vocab)])
            times = []
            for _ in range(max(1, args.repetitions)):
                start = time.perf_counter()
                out = model(ids, use_cache=True, logits_to_keep=1)
                times.append(time.perf_counter() - start)
            seconds = statistics.median(times)
            report["prefill"].append({"tokens": n, "seconds": seconds, "tokens_per_second": n / seconds,
                                      "all_seconds": times})
            log(f"prefill {n}: {n / seconds:.1f} tok/s")
            cache = out.past_key_values
            token = out.logits[:, -1:].argmax(-1)
            start = time.perf_counter()
            for _ in range(args.decode_tokens):
                out = model(token, past_key_values=cache, use_cache=True, logits_to_keep=1)
                cache = out.past_key_values
                token = out.logits[:, -1:].argmax(-1)
            seconds = time.perf_counter() - start
            report["decode"].append({"context": n, "tokens": args.decode_tokens, "seconds": seconds,
                                     "tokens_per_second": args.decode_tokens / seconds,
                                     "milliseconds_per_token": seconds * 1000 / args.decode_tokens})
            log(f"decode after {n}: {args.decode_tokens / seconds:.1f} tok/s")
            del out, cache
    report["peak_resident_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
