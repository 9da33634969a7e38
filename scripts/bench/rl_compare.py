#!/usr/bin/env python3
"""Wall-clock per RL step, ours next to Hugging Face TRL's GRPOTrainer (loss_type="cispo"): the same
model, task, group size, batch, number of updates and thread count, on this CPU, in one run.

    .venv-ref/bin/python scripts/bench/rl_compare.py [--model DIR] [--steps 5] [--threads 2]
        [--json-out FILE] [--minimax .build/release/minimax] [--python PY]

One RL step = one rollout batch of P prompts x G samples (temperature 1, up to --max-tokens each),
rewards, group advantages, then M minibatch AdamW updates that consume the batch
(P x G / M responses each), CISPO with the ratio capped at 5.
  - ours:  minimax rl --task arithmetic --algorithm cispo --group-size G --prompts-per-step P
           --updates-per-step M --max-tokens T --lr LR (ε_high 4: our cap is 1 + ε_high = 5);
           rollout_seconds and update_seconds of each step from its metrics.jsonl.
  - TRL:   GRPOTrainer, GRPOConfig(loss_type="cispo", epsilon_high=5.0 (TRL caps the ratio at
           epsilon_high itself: TRL's 5.0 = our --epsilon-high 4), num_generations=G,
           per_device_train_batch_size=P*G/M, steps_per_generation=M, gradient_accumulation_steps=1,
           num_iterations=1, max_completion_length=T, temperature=1, top_p=1, top_k=0, beta=0,
           scale_rewards="group", fp32 (bf16=False), use_cpu, AdamW betas (0.9, 0.95) eps 1e-15, no weight
           decay, gradient clip 1.0, constant learning rate (our `rl` settings), router_aux_loss_coef=0 (our
           `rl` adds no load-balancing loss; TRL would take the config's 0.001), no saving, report_to none),
           on transformers' MiniMaxForCausalLM (sdpa attention) and model.generate; the same
           prompts in the same order (a port of ArithmeticTask's generator: step s gets the problems of
           our step s), rendered in the M1 chat format exactly as ChatTemplate does (the test model's
           tokenizer_config.json has no chat_template, so the prompts are plain text), and a Python
           port of our reward (1 for the right last integer after </think>, + 0.1 for the M1 shape).
           An RL step is the 16 optimizer steps that consume one generation batch, timed with a
           TrainerCallback (on_step_begin of the first to on_step_end of the last); its rollout part is
           GRPOTrainer._generate_and_score_completions (generation, rewards, advantages and, because
           the batch is reused over 16 updates, TRL's extra no-grad forward for the old
           log-probabilities; ours keeps the sampler's), the rest is the update part.
Both run 1 warm-up step + --steps measured steps; the table shows medians over the measured steps
(rollout and update medians are taken separately, so they need not add up to the step median).
Tokens per step = sum of the generated response lengths (end-of-turn token included); they differ
between engines because the samples differ, so seconds per 1000 generated tokens are shown too.

Before timing, cheap checks that both sides see the same thing: the Python rendering + Hugging Face
tokenization against `minimax render` + `minimax tokenize`, and, where the binary has `minimax eval`,
the Python problem generator against `minimax eval --answers-out` (same prompts and answers) and the
Python reward against our verdicts on those responses.

--model: a Hugging Face layout MiniMax directory with a byte-level tokenizer.json (e.g. a small model
trained on arithmetic). Without it, a random ~1.9M-parameter model is made with `minimax init` from the
CONFIG below (4 layers: lightning, softmax, lightning, softmax; hidden 128; 4 experts top-2; byte
tokenizer); a random model stops only by chance, so most of its responses run to --max-tokens.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from compare import OtherLoad, describe_machine, find_minimax, machine_info, minimax_version  # noqa: E402

CONFIG = {"model_type": "minimax", "vocab_size": 262, "hidden_size": 128, "intermediate_size": 256,
          "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
          "num_local_experts": 4, "num_experts_per_tok": 2, "block_size": 64, "hidden_act": "silu",
          "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"],
          "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}, "rms_norm_eps": 1e-5,
          "eos_token_id": 259, "max_position_embeddings": 4096, "tie_word_embeddings": False}

MASK64 = (1 << 64) - 1
EVAL_SEED = 0xE7A1_0000  # ReinforcementTrainer.evaluate's held-out set: 0xE7A1_0000 + --seed


def log(message):
    print(f"[rl_compare] {message}", flush=True)


# ----------------------------------------------------------------------------- the task, in Python
class SplitMix64:
    """Tensors/SplitMix64.swift."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def arithmetic_problems(count, seed):
    """ArithmeticTask.problems(count:seed:): [(prompt, answer)]."""
    random = SplitMix64(seed)
    out = []
    for _ in range(count):
        digits = random.next() % 2 + 2
        limit = 100 if digits == 2 else 1000
        a = random.next() % (limit - limit // 10) + limit // 10
        b = random.next() % (limit - 10) + 10
        add = random.next() % 2 == 0
        x, y = (a, b) if add or a >= b else (b, a)
        expression = f"{x} {'+' if add else '-'} {y}"
        prompt = f"What is {expression}?" if random.next() % 2 == 0 else f"Compute {expression}."
        out.append((prompt, str(x + y if add else x - y)))
    return out


def step_problem_seed(seed, step):
    """ReinforcementTrainer.step's problem seed (round 0; CISPO draws one round)."""
    return (seed + step * 1_000_003) & MASK64


def render_prompt(user):
    """ChatTemplate.render(messages: [.user(text)], addGenerationPrompt: true)."""
    return ("<begin_of_document><beginning_of_sentence>user name=user\n" + user
            + "<end_of_sentence>\n<beginning_of_sentence>ai name=assistant\n")


# The reward, the child process's copy of it included (RewardTask.swift's ResponseFormat, ArithmeticTask.score).
REWARD_SOURCE = r'''
def response_answer(response):
    text = response.replace("<end_of_sentence>", "")
    if not text.startswith("<think>") or text.count("</think>") != 1:
        return None
    answer = text.split("</think>", 1)[1].strip()
    return answer or None


def last_integer(text):
    last, current, previous = None, "", " "
    for character in text + " ":
        if character in "0123456789":
            if not current and previous == "-":
                current = "-"
            current += character
        elif current:
            value = int(current)
            if -(1 << 63) <= value < (1 << 63):  # Swift's Int(...) is nil on overflow: keep the last one
                last = value
            current = ""
        previous = character
    return last


def arithmetic_score(answer, response):
    """(reward, correct, well_formed)."""
    text = response_answer(response)
    if text is None:
        return 0.0, False, False
    value = last_integer(text)
    correct = value is not None and str(value) == answer
    return (1.0 if correct else 0.0) + 0.1, correct, True
'''
exec(REWARD_SOURCE)  # defines response_answer, last_integer, arithmetic_score here too


# ----------------------------------------------------------------------------- the TRL side (child process)
TRL_RUN = r'''
import json, os, sys, time
settings = json.load(open(sys.argv[1]))
import torch
torch.set_num_threads(settings["threads"])
import transformers, trl
from datasets import Dataset
from transformers import AutoTokenizer, MiniMaxForCausalLM, TrainerCallback
from trl import GRPOConfig, GRPOTrainer
transformers.logging.set_verbosity_error()
''' + REWARD_SOURCE + r'''
tokenizer = AutoTokenizer.from_pretrained(settings["model"])
model = MiniMaxForCausalLM.from_pretrained(settings["model"], dtype=torch.float32)
rows = settings["rows"]
dataset = Dataset.from_dict({"prompt": [r[0] for r in rows], "answer": [r[1] for r in rows]})

scores = []
def arithmetic_reward(prompts, completions, completion_ids, answer, **kwargs):
    rewards = []
    for ids, expected in zip(completion_ids, answer):
        reward, correct, _ = arithmetic_score(expected, tokenizer.decode(ids, skip_special_tokens=False))
        rewards.append(reward)
        scores.append(correct)
    return rewards

G, P, M = settings["group_size"], settings["prompts_per_step"], settings["updates_per_step"]
config = GRPOConfig(
    output_dir=settings["out"], loss_type="cispo", epsilon_high=settings["epsilon_high"], beta=0.0,
    num_generations=G, per_device_train_batch_size=P * G // M, steps_per_generation=M,
    gradient_accumulation_steps=1, num_iterations=1, max_completion_length=settings["max_tokens"],
    temperature=1.0, top_p=1.0, top_k=0, scale_rewards="group", mask_truncated_completions=False,
    learning_rate=settings["lr"], lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
    adam_beta1=0.9, adam_beta2=0.95, adam_epsilon=1e-15, max_grad_norm=1.0,
    max_steps=settings["rl_steps"] * M, shuffle_dataset=False, use_cpu=True, bf16=False, fp16=False,
    router_aux_loss_coef=0.0, report_to="none", save_strategy="no", logging_steps=M, disable_tqdm=True,
    seed=settings["seed"], dataloader_num_workers=0, log_completions=False)

begins, ends, log_lines, rollouts = [], [], [], []

class StepTimer(TrainerCallback):
    def on_step_begin(self, args, state, control, **kwargs):
        begins.append(time.perf_counter())

    def on_step_end(self, args, state, control, **kwargs):
        ends.append(time.perf_counter())

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs:
            log_lines.append({k: v for k, v in logs.items() if isinstance(v, (int, float))})

trainer = GRPOTrainer(model=model, reward_funcs=arithmetic_reward, args=config, train_dataset=dataset,
                      processing_class=tokenizer, callbacks=[StepTimer()])

# Rollout = _generate_and_score_completions; within it, generation (_generate) and TRL's old-log-probability
# forward (_get_per_token_logps_and_entropies called during the rollout).
inner = {"generate": 0.0, "old_logps": 0.0, "in_rollout": False}
original_rollout = trainer._generate_and_score_completions
original_generate = trainer._generate
original_logps = trainer._get_per_token_logps_and_entropies

def timed(original, key, only_in_rollout=False):
    """original, adding its seconds to inner[key] (only inside a rollout if only_in_rollout)."""
    def wrapper(*args, **kwargs):
        if only_in_rollout and not inner["in_rollout"]:
            return original(*args, **kwargs)
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            inner[key] += time.perf_counter() - start
    return wrapper

def timed_rollout(*args, **kwargs):
    inner.update(generate=0.0, old_logps=0.0, in_rollout=True)
    first_score = len(scores)
    start = time.perf_counter()
    try:
        output = original_rollout(*args, **kwargs)
    finally:
        inner["in_rollout"] = False
    seconds = time.perf_counter() - start
    mask = output["completion_mask"]
    correct = scores[first_score:]
    rollouts.append({"seconds": seconds, "generate_seconds": inner["generate"], "old_logps_seconds": inner["old_logps"],
                     "tokens": int(mask.sum()), "completions": int(mask.shape[0]), "longest": int(mask.shape[1]),
                     "accuracy": sum(correct) / max(len(correct), 1)})
    return output

trainer._generate_and_score_completions = timed_rollout
trainer._generate = timed(original_generate, "generate")
trainer._get_per_token_logps_and_entropies = timed(original_logps, "old_logps", only_in_rollout=True)
trainer.train()

steps = []
for k in range(settings["rl_steps"]):
    if (k + 1) * M > len(ends) or k >= len(rollouts):
        break
    total = ends[(k + 1) * M - 1] - begins[k * M]
    r = rollouts[k]
    steps.append(dict(r, step_seconds=total, rollout_seconds=r["seconds"], update_seconds=total - r["seconds"]))
import resource
print(json.dumps({"steps": steps, "logs": log_lines, "optimizer_steps": len(ends),
                  "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                               "trl": trl.__version__, "torch_threads": torch.get_num_threads()},
                  "attention": model.config._attn_implementation,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}),
      file=open(settings["result"], "w"))
'''


# ----------------------------------------------------------------------------- helpers
def run_child(command, what, timeout, env=None):
    """Runs command with the terminal as its stdout/stderr; returns its peak RSS in MiB (wait4)."""
    log(" ".join(command))
    process = subprocess.Popen(command, env=env)
    deadline = time.time() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.time() > deadline:
            process.kill()
            os.wait4(process.pid, 0)
            raise RuntimeError(f"{what} timed out after {timeout} s")
        time.sleep(0.2)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{what} exited {process.returncode}")
    return usage.ru_maxrss / 1024


def find_python(path):
    """A Python with torch, transformers and trl: --python, this one, or the reference venv."""
    candidates = [path] if path else [sys.executable, os.path.join(ROOT, ".venv-ref", "bin", "python"),
                                      "/work/main/.venv-ref/bin/python"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and subprocess.run(
                [candidate, "-c", "import torch, transformers, trl, datasets"], capture_output=True).returncode == 0:
            return candidate
    raise SystemExit("rl_compare: no Python with torch, transformers, trl and datasets found; pass --python "
                     "(the reference venv: .venv-ref/bin/python)")


def lscpu_model_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), None)


def count_parameters(model):
    """Parameters in the model's safetensors files (from their headers), as text."""
    total = 0
    try:
        for name in sorted(os.listdir(model)):
            if name.endswith(".safetensors"):
                with open(os.path.join(model, name), "rb") as f:
                    header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
                for key, tensor in header.items():
                    if key != "__metadata__":
                        count = 1
                        for dim in tensor["shape"]:
                            count *= dim
                        total += count
    except (OSError, ValueError, KeyError):
        return "? parameters"
    return f"{total / 1e6:.2f}M parameters"


def median(values):
    return statistics.median(values) if values else None


def summarise(steps, warmup):
    measured = steps[warmup:]
    if not measured:
        raise RuntimeError(f"no measured steps (got {len(steps)}, warm-up {warmup})")
    return {"seconds_per_step": median([s["step_seconds"] for s in measured]),
            "rollout_seconds": median([s["rollout_seconds"] for s in measured]),
            "update_seconds": median([s["update_seconds"] for s in measured]),
            "tokens_per_step": median([s["tokens"] for s in measured]),
            "seconds_per_1k_tokens": median([s["step_seconds"] / max(s["tokens"], 1) * 1000 for s in measured]),
            "measured_steps": len(measured), "steps": steps}


# ----------------------------------------------------------------------------- checks
def parity_checks(binary, python, model, seed, max_tokens, threads, tmp):
    """Problems, rendered prompt ids and rewards: ours against the Python side's. The problem and reward
    checks need `minimax eval --answers-out` (a binary without `eval` skips them)."""
    checks = {}
    user = arithmetic_problems(1, step_problem_seed(seed, 0))[0][0]
    messages = os.path.join(tmp, "messages.json")
    with open(messages, "w") as f:
        json.dump([{"role": "user", "content": user}], f)
    rendered = subprocess.run([binary, "render", "--model", model, "--messages", messages],
                              check=True, capture_output=True, text=True).stdout
    checks["render_matches"] = rendered == render_prompt(user)
    tokenized = subprocess.run([binary, "tokenize", "--model", model, "--text", render_prompt(user)],
                               check=True, capture_output=True, text=True).stdout
    our_ids = json.loads(tokenized.strip().splitlines()[-1])
    hf_encode = ("import sys, json; from transformers import AutoTokenizer; "
                 "t = AutoTokenizer.from_pretrained(sys.argv[1]); "
                 "print(json.dumps(t(text=[sys.argv[2]])['input_ids'][0]))")
    hf_ids = json.loads(subprocess.run([python, "-c", hf_encode, model, render_prompt(user)], check=True,
                                       capture_output=True, text=True).stdout.strip().splitlines()[-1])
    checks["prompt_ids_match"] = our_ids == hf_ids
    checks["prompt_tokens"] = len(hf_ids)

    top_help = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    if not any(line.split()[:1] == ["eval"] for line in top_help.splitlines()):
        checks["problems_and_reward"] = "not checked: this minimax has no `eval` command"
        return checks
    answers = os.path.join(tmp, "eval-answers.jsonl")
    subprocess.run([binary, "eval", "--model", model, "--task", "arithmetic", "--problems", "8", "--seed", str(seed),
                    "--max-tokens", str(max_tokens), "--threads", str(threads), "--answers-out", answers],
                   check=True, stdout=subprocess.DEVNULL)
    with open(answers) as f:
        ours = [json.loads(line) for line in f]
    mine = arithmetic_problems(len(ours), EVAL_SEED + seed)
    checks["problems_match"] = [(o["prompt"], o["expected"]) for o in ours] == mine
    mismatched = []
    for o in ours:
        _, correct, well_formed = arithmetic_score(o["expected"], o["response"])
        if (correct, well_formed) != (o["correct"], o["wellFormed"]):
            mismatched.append(o)
    checks["reward_matches"] = not mismatched
    checks["reward_checked_responses"] = len(ours)
    checks["reward_well_formed_responses"] = sum(o["wellFormed"] for o in ours)
    if mismatched:
        checks["reward_mismatches"] = mismatched[:3]
    return checks


# ----------------------------------------------------------------------------- report
def report_text(results):
    lines = []
    m = results["machine"]
    lines.append(f"machine: {describe_machine(m)}")
    lines.append(f"CPU (lscpu Model name): {results.get('cpu_model_name') or m.get('cpu')}; "
                 f"amx: {'yes' if results['amx'] else 'no'}, avx512_bf16: {'yes' if results['avx512_bf16'] else 'no'}")
    lines.append(f"date: {results['date']}   threads: {results['threads']}   measured steps: {results['steps']} "
                 f"(after 1 warm-up step)")
    s = results["settings"]
    lines.append(f"model: {results['model']} ({results['model_parameters']})")
    lines.append(f"task: arithmetic, CISPO (ratio cap 5), {s['prompts_per_step']} prompts x G={s['group_size']} = "
                 f"{s['prompts_per_step'] * s['group_size']} samples per step, {s['updates_per_step']} AdamW updates "
                 f"per step, max {s['max_tokens']} new tokens, temperature 1, lr {s['lr']}")
    lines.append(f"minimax: {results.get('minimax_version')}")
    v = results.get("trl_versions") or {}
    if v:
        lines.append(f"TRL {v.get('trl')}, transformers {v.get('transformers')}, torch {v.get('torch')} "
                     f"(fp32, {results.get('trl_attention')} attention), Python {m.get('python')}")
    c = results.get("checks") or {}
    if c:
        lines.append("checks: " + ", ".join(f"{k} {v}" for k, v in c.items() if isinstance(v, bool))
                     + (f"; problems and reward {c['problems_and_reward']}" if c.get("problems_and_reward") else "")
                     + (" (failed: " + c["error"] + ")" if c.get("error") else ""))
    lines.append("")
    header = ("| engine | s / RL step | rollout s | update s | tokens generated / step | s / 1k tokens "
              "| peak RSS MiB | other load |")
    lines.append(header)
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results["engines"].items():
        if r.get("status") != "ok":
            lines.append(f"| {name} | FAILED: {' '.join(str(r.get('reason')).split())[:200]} | | | | | | |")
            continue
        load = r.get("other_load")
        lines.append(f"| {name} | {r['seconds_per_step']:.2f} | {r['rollout_seconds']:.2f} | {r['update_seconds']:.2f} "
                     f"| {r['tokens_per_step']:.0f} | {r['seconds_per_1k_tokens']:.2f} | {r['peak_rss_mib']:.0f} "
                     f"| {'-' if load is None else f'{load * 100:.0f}%'} |")
    ratio = results.get("ratio_trl_over_ours")
    if ratio:
        lines.append("")
        lines.append("ratio TRL / ours (> 1: ours is faster): "
                     + ", ".join(f"{k.replace('_', ' ')} {v:.2f}x" for k, v in ratio.items() if v is not None))
    trl = results["engines"].get("TRL GRPOTrainer", {})
    if trl.get("status") == "ok":
        measured = trl["steps"][1:]
        lines.append(f"TRL rollout parts (median): generate {median([x['generate_seconds'] for x in measured]):.2f} s, "
                     f"old log-probability forward {median([x['old_logps_seconds'] for x in measured]):.2f} s; "
                     f"generate decodes all {s['prompts_per_step'] * s['group_size']} rows up to the longest response "
                     f"(median {median([x['longest'] for x in measured]):.0f} tokens)")
    loads = [r.get("other_load") for r in results["engines"].values() if r.get("other_load") is not None]
    lines.append("(other load: the share of the machine's CPU time other processes used during the engine's run)")
    if loads and max(loads) > 0.10:
        lines.append(f"WARNING: other processes used up to {max(loads) * 100:.0f}% of the CPUs during the runs: "
                     "the numbers are unreliable; rerun on an idle machine")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="model directory (Hugging Face layout, byte-level tokenizer.json); default: a "
                                   "random model made with `minimax init` from the CONFIG in this script")
    p.add_argument("--steps", type=int, default=5, help="measured RL steps per engine, after 1 warm-up (default 5)")
    p.add_argument("--threads", type=int, default=2, help="threads for both engines (default 2)")
    p.add_argument("--json-out", help="write all results (every step's numbers) to this file")
    p.add_argument("--minimax", help="minimax binary (default .build/release/minimax, built if missing)")
    p.add_argument("--python", help="Python with torch, transformers, trl, datasets for the TRL side "
                                    "(default: this one, else .venv-ref/bin/python)")
    p.add_argument("--engines", default="minimax,trl", help="subset of minimax,trl (default both)")
    p.add_argument("--group-size", type=int, default=8)
    p.add_argument("--prompts-per-step", type=int, default=8)
    p.add_argument("--updates-per-step", type=int, default=16)
    p.add_argument("--max-tokens", type=int, default=96)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-checks", dest="checks", action="store_false", help="skip the problem/prompt/reward checks")
    p.add_argument("--timeout", type=int, default=7200, help="seconds allowed per engine run")
    args = p.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not engines or any(e not in ("minimax", "trl") for e in engines):
        raise SystemExit("--engines takes minimax, trl or both")
    batch = args.prompts_per_step * args.group_size
    if batch % args.updates_per_step:
        raise SystemExit(f"prompts-per-step x group-size ({batch}) must be a multiple of updates-per-step "
                         "(TRL's per_device_train_batch_size)")
    rl_steps = args.steps + 1  # one warm-up step

    binary = find_minimax(args.minimax)
    python = find_python(args.python) if "trl" in engines else None
    flags = open("/proc/cpuinfo").read()
    results = {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
               "machine": machine_info(), "cpu_model_name": lscpu_model_name(), "amx": "amx_tile" in flags,
               "avx512_bf16": "avx512_bf16" in flags,
               "threads": args.threads, "steps": args.steps, "warmup_steps": 1,
               "settings": {"group_size": args.group_size, "prompts_per_step": args.prompts_per_step,
                            "updates_per_step": args.updates_per_step, "max_tokens": args.max_tokens,
                            "lr": args.lr, "seed": args.seed, "our_epsilon_high": 4.0, "trl_epsilon_high": 5.0},
               "minimax_version": minimax_version(binary), "engines": {}}
    log(f"machine: {describe_machine(results['machine'])}")

    with tempfile.TemporaryDirectory(prefix="rl_compare-") as tmp:
        model = args.model
        if model:
            model = os.path.abspath(model)
            results["model"] = model
        else:
            config = os.path.join(tmp, "config.json")
            with open(config, "w") as f:
                json.dump(CONFIG, f)
            model = os.path.join(tmp, "random-model")
            subprocess.run([binary, "init", "--config", config, "--out", model], check=True, stdout=subprocess.DEVNULL)
            results["model"] = "random (minimax init with rl_compare.py's CONFIG)"
        results["model_parameters"] = count_parameters(model)

        if args.checks and python:
            log("checks: problems, prompt rendering and ids, rewards (ours vs the Python side)")
            try:
                results["checks"] = parity_checks(binary, python, model, args.seed, args.max_tokens, 1, tmp)
            except Exception as e:  # noqa: BLE001
                results["checks"] = {"error": str(e)}
            log(f"checks: {results['checks']}")

        if "minimax" in engines:
            out = os.path.join(tmp, "minimax-rl")
            command = [binary, "rl", "--model", model, "--task", "arithmetic", "--algorithm", "cispo", "--out", out,
                       "--steps", str(rl_steps), "--group-size", str(args.group_size),
                       "--prompts-per-step", str(args.prompts_per_step),
                       "--updates-per-step", str(args.updates_per_step),
                       "--max-tokens", str(args.max_tokens), "--lr", str(args.lr), "--epsilon-high", "4",
                       "--seed", str(args.seed), "--eval-problems", "1", "--threads", str(args.threads)]
            try:
                with OtherLoad() as load:
                    peak = run_child(command, "minimax rl", args.timeout)
                metrics = [json.loads(line) for line in open(os.path.join(out, "metrics.jsonl"))]
                steps = [{"step_seconds": m["rollout_seconds"] + m["update_seconds"],
                          "rollout_seconds": m["rollout_seconds"], "update_seconds": m["update_seconds"],
                          "tokens": round(m["response_length"] * m["rollouts"]), "accuracy": m["accuracy"],
                          "reward": m["reward"]} for m in metrics if m["step"] > 0]
                results["engines"]["minimax"] = dict(summarise(steps, 1), status="ok", peak_rss_mib=peak,
                                                     other_load=load.fraction)
            except Exception as e:  # noqa: BLE001
                results["engines"]["minimax"] = {"status": "failed", "reason": str(e)}

        if "trl" in engines:
            result_file = os.path.join(tmp, "trl-result.json")
            rows = []
            for step in range(rl_steps):
                rows += arithmetic_problems(args.prompts_per_step, step_problem_seed(args.seed, step))
            settings = {"model": model, "threads": args.threads, "rows": [(render_prompt(q), a) for q, a in rows],
                        "group_size": args.group_size, "prompts_per_step": args.prompts_per_step,
                        "updates_per_step": args.updates_per_step, "max_tokens": args.max_tokens, "lr": args.lr,
                        "epsilon_high": 5.0, "rl_steps": rl_steps, "seed": args.seed,
                        "out": os.path.join(tmp, "trl-out"), "result": result_file}
            script, settings_file = os.path.join(tmp, "trl_run.py"), os.path.join(tmp, "trl_settings.json")
            with open(script, "w") as f:
                f.write(TRL_RUN)
            with open(settings_file, "w") as f:
                json.dump(settings, f)
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
                       TOKENIZERS_PARALLELISM="false", TRANSFORMERS_VERBOSITY="error", WANDB_DISABLED="true",
                       PYTHONWARNINGS="ignore::FutureWarning",
                       HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", CUDA_VISIBLE_DEVICES="")
            try:
                with OtherLoad() as load:
                    peak = run_child([python, script, settings_file], "TRL GRPOTrainer", args.timeout, env=env)
                with open(result_file) as f:
                    data = json.load(f)
                results["trl_versions"] = data["versions"]
                results["trl_attention"] = data.get("attention")
                results["engines"]["TRL GRPOTrainer"] = dict(summarise(data["steps"], 1), status="ok",
                                                             peak_rss_mib=peak, other_load=load.fraction,
                                                             logs=data["logs"])
            except Exception as e:  # noqa: BLE001
                results["engines"]["TRL GRPOTrainer"] = {"status": "failed", "reason": str(e)}

    ours, trl = results["engines"].get("minimax", {}), results["engines"].get("TRL GRPOTrainer", {})
    if ours.get("status") == "ok" and trl.get("status") == "ok":
        results["ratio_trl_over_ours"] = {
            key: (trl[key] / ours[key] if ours[key] else None)
            for key in ("seconds_per_step", "rollout_seconds", "update_seconds", "seconds_per_1k_tokens")}
    text = report_text(results)
    results["report"] = text
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1)
    summary = dict(results, engines={name: {k: v for k, v in r.items() if k not in ("steps", "logs")}
                                      for name, r in results["engines"].items()})
    summary.pop("report")
    print(json.dumps(summary, indent=1))
    print()
    print(text)
    failed = [name for name, r in results["engines"].items() if r.get("status") != "ok"]
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
