#!/usr/bin/env python3
"""Kill -9 a training run at random moments (checkpoints every step, so many kills land inside a
checkpoint write), resume it each time with --resume, and check that the finished run's loss curve
equals an uninterrupted run's exactly and that every checkpoint left behind is complete.

    python3 scripts/training/kill_resume_check.py [--minimax .build/release/minimax] [--kills 15]
Python standard library only; makes its own model and corpus under a temporary directory.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

CONFIG = {"model_type": "minimax", "vocab_size": 262, "hidden_size": 64, "intermediate_size": 128,
          "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
          "num_local_experts": 4, "num_experts_per_tok": 2, "block_size": 64,
          "layer_types": ["linear_attention", "linear_attention", "linear_attention", "full_attention"],
          "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}, "eos_token_id": 259}


def losses(out):
    with open(os.path.join(out, "metrics.jsonl")) as f:
        return [json.loads(line)["loss"] for line in f if line.strip()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minimax", default=".build/release/minimax")
    parser.add_argument("--kills", type=int, default=15)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    minimax = os.path.abspath(args.minimax)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "config.json")
        json.dump(CONFIG, open(config, "w"))
        subprocess.run([minimax, "init", "--config", config, "--out", os.path.join(tmp, "model")], check=True,
                       stdout=subprocess.DEVNULL)
        corpus = os.path.join(tmp, "corpus.jsonl")
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "make_corpus.py"), "--out", corpus,
                        "--lines", "1500"], check=True, stdout=subprocess.DEVNULL)

        def command(out):
            return [minimax, "train", "--model", os.path.join(tmp, "model"), "--data", corpus, "--out", out,
                    "--steps", str(args.steps), "--seq-len", "64", "--checkpoint-every", "1", "--threads", "1",
                    "--resume"]

        straight = os.path.join(tmp, "straight")
        started = time.time()
        subprocess.run(command(straight), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        duration = time.time() - started
        interrupted = os.path.join(tmp, "interrupted")
        kills = 0
        killed_in_write = 0
        while kills < args.kills:
            checkpoints = os.path.join(interrupted, "checkpoints")
            if os.path.isdir(checkpoints):
                killed_in_write += any(n.startswith(".incomplete-") for n in os.listdir(checkpoints))
            process = subprocess.Popen(command(interrupted), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, duration / 4))
            if process.poll() is not None:
                break
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
        result = subprocess.run(command(interrupted), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            print("resume failed:", result.stderr[-2000:])
            sys.exit(1)
        # Every checkpoint directory left behind loads (weights, optimizer, state).
        checkpoints = os.path.join(interrupted, "checkpoints")
        names = sorted(os.listdir(checkpoints))
        incomplete = [n for n in names if not n.startswith("step-")]
        broken = []
        for name in names:
            files = set(os.listdir(os.path.join(checkpoints, name)))
            if not {"config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json"} <= files:
                broken.append(name)
        same = losses(interrupted) == losses(straight)
        report = {"kills": kills, "kills_during_a_checkpoint_write": killed_in_write, "steps": args.steps, "checkpoints": len(names), "incomplete_left": incomplete,
                  "broken": broken, "loss_curve_identical": same, "final_loss": losses(interrupted)[-1]}
        print(json.dumps(report))
        sys.exit(0 if same and not broken else 1)


if __name__ == "__main__":
    main()
