#!/usr/bin/env python3
"""Training throughput, ours vs PyTorch on the same model, data and threads, in one run.

    .venv-ref/bin/python scripts/bench/train_compare.py [--minimax .build/release/minimax] [--threads 2]
        [--steps 12] [--seq-len 256] [--batch-tokens 1024]

Makes a `train-small` model with `minimax init` (hybrid: 3 lightning + 1 softmax layer, hidden 256,
4 experts top-2, vocabulary 8192, byte tokenizer) and a synthetic corpus, then measures tokens/s of
whole training steps (forward + backward + AdamW, gradient clipping on) for
  - minimax train (fp32 weights and activations; gradients accumulated over seq-len windows),
  - PyTorch + transformers MiniMaxForCausalLM, fp32,
  - the same under torch.autocast(bfloat16),
with the same windows (batch-tokens / seq-len sequences of seq-len tokens per step), AdamW
settings and thread count. Reports the median step throughput after two warm-up steps and each
process's peak resident memory (ru_maxrss from wait4). Prints a JSON summary and a table.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CONFIG = {"model_type": "minimax", "vocab_size": 8192, "hidden_size": 256, "intermediate_size": 512,
          "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64,
          "num_local_experts": 4, "num_experts_per_tok": 2, "block_size": 256,
          "layer_types": ["linear_attention", "linear_attention", "linear_attention", "full_attention"],
          "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}, "eos_token_id": 259,
          "max_position_embeddings": 4096, "tie_word_embeddings": False}


def run_measured(command, **kw):
    """Runs a command; returns (stdout, peak RSS in MiB)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    out, err = process.communicate()
    _, status, usage = os.wait4(process.pid, 0) if process.returncode is None else (0, 0, None)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {err[-2000:]}")
    return out, err, usage


def peak_mib(command):
    """Runs `command` under a small wrapper that reports the child's ru_maxrss."""
    wrapper = ("import os,subprocess,sys,json;p=subprocess.Popen(sys.argv[1:],stdout=subprocess.PIPE,"
               "stderr=subprocess.PIPE,text=True);o,e=p.communicate();_,s,u=os.wait4(p.pid,0) if False else (0,0,None);"
               "import resource;r=resource.getrusage(resource.RUSAGE_CHILDREN);"
               "sys.stdout.write(o);sys.stderr.write(e);sys.stderr.write('\\nPEAK_KIB '+str(r.ru_maxrss)+'\\n');"
               "sys.exit(p.returncode)")
    result = subprocess.run([sys.executable, "-c", wrapper] + command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{command[:3]} failed:\n{result.stderr[-3000:]}")
    peak = [line for line in result.stderr.splitlines() if line.startswith("PEAK_KIB ")][-1]
    return result.stdout, result.stderr, int(peak.split()[1]) / 1024


TORCH_STEP = r'''
import json, sys, time, torch
from transformers import MiniMaxForCausalLM
model_dir, windows_file, steps, threads, autocast = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "bf16"
torch.set_num_threads(threads)
model = MiniMaxForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
model.train()
decay = [p for n, p in model.named_parameters() if not n.endswith("norm.weight") and "layernorm" not in n]
no_decay = [p for n, p in model.named_parameters() if n.endswith("norm.weight") or "layernorm" in n]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=1e-3, betas=(0.9, 0.95), eps=1e-15)
batches = json.load(open(windows_file))
times, losses = [], []
for step in range(steps):
    batch = torch.tensor(batches[step % len(batches)])
    start = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        out = model(batch[:, :-1], labels=batch[:, :-1], use_cache=False)
    # labels=inputs: transformers shifts inside; the last window token is the final target
    out.loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step(); opt.zero_grad(set_to_none=True)
    times.append(time.perf_counter() - start); losses.append(float(out.loss))
print(json.dumps({"times": times, "losses": losses}))
'''


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minimax", default=os.path.join(REPO, ".build", "release", "minimax"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--batch-tokens", type=int, default=1024)
    args = parser.parse_args()
    per_step = args.batch_tokens // args.seq_len
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    flags = open("/proc/cpuinfo").read()
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "config.json")
        json.dump(CONFIG, open(config, "w"))
        model = os.path.join(tmp, "train-small")
        subprocess.run([args.minimax, "init", "--config", config, "--out", model], check=True, stdout=subprocess.DEVNULL)
        corpus = os.path.join(tmp, "corpus.jsonl")
        subprocess.run([sys.executable, os.path.join(REPO, "scripts", "training", "make_corpus.py"), "--out", corpus,
                        "--lines", "3000"], check=True, stdout=subprocess.DEVNULL)
        # The same packing as minimax train: bytes of each text, then the end-of-text id 259.
        stream = []
        for line in open(corpus):
            stream += list(json.loads(line)["text"].encode()) + [259]
        L = args.seq_len
        windows = [stream[i * L:i * L + L + 1] for i in range((len(stream) - 1) // L)]
        batches = [windows[s * per_step:(s + 1) * per_step] for s in range(args.steps)]
        windows_file = os.path.join(tmp, "windows.json")
        json.dump(batches, open(windows_file, "w"))

        results = {}
        out, err, peak = peak_mib([args.minimax, "train", "--model", model, "--data", corpus, "--out",
                                   os.path.join(tmp, "run"), "--steps", str(args.steps), "--seq-len", str(L),
                                   "--batch-tokens", str(args.batch_tokens), "--threads", str(args.threads),
                                   "--lr", "1e-3", "--warmup", "0", "--schedule", "constant"])
        metrics = [json.loads(l) for l in open(os.path.join(tmp, "run", "metrics.jsonl"))]
        results["minimax fp32"] = {"tokens_per_second": median([m["tokens_per_second"] for m in metrics[2:]]),
                                   "peak_mib": peak, "first_loss": metrics[0]["loss"], "last_loss": metrics[-1]["loss"]}
        for mode in ["fp32", "bf16"]:
            script = os.path.join(tmp, "torch_step.py")
            open(script, "w").write(TORCH_STEP)
            out, err, peak = peak_mib([sys.executable, script, model, windows_file, str(args.steps), str(args.threads), mode])
            data = json.loads(out.strip().splitlines()[-1])
            step_tokens = per_step * L
            results[f"PyTorch {mode}" + (" autocast" if mode == "bf16" else "")] = {
                "tokens_per_second": step_tokens / median(data["times"][2:]), "peak_mib": peak,
                "first_loss": data["losses"][0], "last_loss": data["losses"][-1]}
        ours = results["minimax fp32"]["tokens_per_second"]
        summary = {"cpu": cpu, "avx512_bf16": "avx512_bf16" in flags, "amx": "amx_tile" in flags,
                   "threads": args.threads, "model": "train-small (init config above)", "seq_len": L,
                   "tokens_per_step": per_step * L, "steps": args.steps, "results": results,
                   "ratio_vs_pytorch_fp32": ours / results["PyTorch fp32"]["tokens_per_second"],
                   "ratio_vs_pytorch_bf16_autocast": ours / results["PyTorch bf16 autocast"]["tokens_per_second"]}
        print(json.dumps(summary, indent=1))
        print(f"\n{cpu}, {args.threads} threads, seq {L}, {per_step * L} tokens/step")
        print(f"{'engine':<24}{'tokens/s':>10}{'peak MiB':>10}{'loss 1st→last':>18}")
        for name, r in results.items():
            print(f"{name:<24}{r['tokens_per_second']:>10.0f}{r['peak_mib']:>10.0f}   {r['first_loss']:.3f} → {r['last_loss']:.3f}")


if __name__ == "__main__":
    main()
