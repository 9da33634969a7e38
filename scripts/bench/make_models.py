#!/usr/bin/env python3
"""Write the random-weight benchmark checkpoints with Hugging Face `transformers`.

    /work/main/.venv-ref/bin/python scripts/bench/make_models.py [--out DIR] [--only NAME,...] [--force]

Every engine of the benchmark (ours, transformers, llama.cpp) reads these same weights. Each model is
a `MiniMaxForCausalLM` built from a fixed seed with transformers' own initialiser (normal, std =
initializer_range = 0.02; norms = 1) and written with `save_pretrained`, plus a byte-level GPT-2-style
BPE tokenizer with a 32000-token vocabulary (tokenizer.json, tokenizer_config.json):

    bench-small            float32   vocab 32000, hidden 1024, 8 layers (0-6 lightning, 7 softmax),
                                     16 heads x 64, 4 KV heads, 8 experts top-2, expert FFN 1536,
                                     block 256 (~0.4B parameters)
    bench-small-bf16       bfloat16  the same weights as bench-small, rounded to bfloat16
    bench-long             float32   hidden 512, 8 heads x 64, 2 KV heads, 4 experts top-2, FFN 512
    bench-long-lightning   float32   bench-long with all 8 layers lightning
    bench-long-softmax     float32   bench-long with all 8 layers softmax attention (the planner's
                                     softmax-only comparison, docs/plan.md)

The default output directory is <repository>/bench-models/ (git-ignored). A model whose directory
already holds a complete checkpoint of the same recipe (bench-model.json) is kept unless --force.
Weights are never committed.
"""
import argparse
import json
import os
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(ROOT, "bench-models")
RECIPE_VERSION = 1  # bump when the recipe below changes, so old directories are rebuilt

VOCAB = 32000
SPECIAL_TOKENS = ["<pad>", "<begin_of_document>", "<beginning_of_sentence>", "<end_of_sentence>",
                  "<end_of_document>", "<function_call>"]  # ids 256..261, as in `minimax random-model`
PAD_ID, BOS_ID, EOS_ID = 256, 258, 259

HYBRID8 = ["linear_attention"] * 7 + ["full_attention"]
SHAPES = {
    "small": dict(vocab_size=VOCAB, hidden_size=1024, intermediate_size=1536, num_hidden_layers=8,
                  num_attention_heads=16, num_key_value_heads=4, head_dim=64, num_local_experts=8,
                  num_experts_per_tok=2, block_size=256, layer_types=HYBRID8),
    "long": dict(vocab_size=VOCAB, hidden_size=512, intermediate_size=512, num_hidden_layers=8,
                 num_attention_heads=8, num_key_value_heads=2, head_dim=64, num_local_experts=4,
                 num_experts_per_tok=2, block_size=256, layer_types=HYBRID8),
    "long-lightning": dict(vocab_size=VOCAB, hidden_size=512, intermediate_size=512, num_hidden_layers=8,
                           num_attention_heads=8, num_key_value_heads=2, head_dim=64, num_local_experts=4,
                           num_experts_per_tok=2, block_size=256, layer_types=["linear_attention"] * 8),
    "long-softmax": dict(vocab_size=VOCAB, hidden_size=512, intermediate_size=512, num_hidden_layers=8,
                         num_attention_heads=8, num_key_value_heads=2, head_dim=64, num_local_experts=4,
                         num_experts_per_tok=2, block_size=256, layer_types=["full_attention"] * 8),
}
# name -> (shape, dtype, seed). bench-small-bf16 shares bench-small's seed: same weights, rounded.
MODELS = {
    "bench-small": ("small", "float32", 1),
    "bench-small-bf16": ("small", "bfloat16", 1),
    "bench-long": ("long", "float32", 2),
    "bench-long-lightning": ("long-lightning", "float32", 3),
    "bench-long-softmax": ("long-softmax", "float32", 4),
}


# ----------------------------------------------------------------------------- tokenizer
def byte_characters():
    """GPT-2's printable stand-in character for each byte value."""
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    chars = [chr(b) for b in printable]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(chr(256 + extra))
            extra += 1
    table = [""] * 256
    for b, c in zip(printable, chars):
        table[b] = c
    return table


def tokenizer_files(vocab_size=VOCAB):
    """A byte-level BPE tokenizer: id b = byte b, then the special tokens, then deterministic merges
    (pairs, then pair + character, ...) over a fixed alphabet until the vocabulary is full."""
    bc = byte_characters()
    vocab = {bc[b]: b for b in range(256)}
    for i, token in enumerate(SPECIAL_TOKENS):  # in the model's vocabulary too, so their ids stand
        vocab[token] = 256 + i
    alphabet_bytes = (b" " + b"etaoinshrdlcumwfgypbvkjxqz" + b"ETAOINSHRDLCUMWFGYPBVKJXQZ"
                      + b"0123456789" + b".,;:!?'\"()-_=/\n\t")
    alphabet = [bc[b] for b in alphabet_bytes]
    merges = []
    next_id = 256 + len(SPECIAL_TOKENS)
    level = alphabet
    while next_id < vocab_size:
        new_level = []
        for left in level:
            for right in alphabet:
                token = left + right
                if token in vocab:
                    continue
                vocab[token] = next_id
                merges.append(f"{left} {right}")
                new_level.append(token)
                next_id += 1
                if next_id == vocab_size:
                    break
            if next_id == vocab_size:
                break
        level = new_level
    added = [{"id": 256 + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(SPECIAL_TOKENS)]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None, "pre_tokenizer": byte_level, "post_processor": None, "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": merges},
    }
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": SPECIAL_TOKENS[2],
              "eos_token": SPECIAL_TOKENS[3], "pad_token": SPECIAL_TOKENS[0], "add_prefix_space": False,
              "model_max_length": 1 << 30, "clean_up_tokenization_spaces": False}
    return tokenizer, config


def write_tokenizer(directory):
    tokenizer, config = tokenizer_files()
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)


# ----------------------------------------------------------------------------- models
def recipe(name):
    shape, dtype, seed = MODELS[name]
    return {"name": name, "recipe_version": RECIPE_VERSION, "shape": SHAPES[shape], "dtype": dtype, "seed": seed}


def is_complete(directory, name):
    marker = os.path.join(directory, "bench-model.json")
    if not os.path.isfile(marker):
        return False
    try:
        with open(marker) as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return False
    want = recipe(name)
    return all(saved.get(k) == want[k] for k in want)


def build(name, out_dir, check=True):
    import torch
    import transformers
    from transformers import MiniMaxConfig, MiniMaxForCausalLM

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    info = recipe(name)
    dtype = getattr(torch, info["dtype"])
    final = os.path.join(out_dir, name)
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    t0 = time.time()
    config = MiniMaxConfig(**info["shape"], bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID)
    torch.manual_seed(info["seed"])
    model = MiniMaxForCausalLM(config).eval()  # float32, transformers' initialiser
    if check:
        with torch.no_grad():
            ids = torch.randint(0, VOCAB, (1, 64), generator=torch.Generator().manual_seed(0))
            out = model(ids, output_hidden_states=True)
            h = out.hidden_states[-1]
            logits = out.logits
            if not torch.isfinite(logits).all():
                raise RuntimeError(f"{name}: non-finite logits from the random model")
            print(f"  {name}: last hidden state rms {h.pow(2).mean().sqrt().item():.3g}, "
                  f"logits std {logits.std().item():.3g}", flush=True)
    model = model.to(dtype)
    model.save_pretrained(tmp)
    write_tokenizer(tmp)
    params = sum(p.numel() for p in model.parameters())
    with open(os.path.join(tmp, "bench-model.json"), "w") as f:
        json.dump({**info, "parameters": params, "transformers": transformers.__version__,
                   "torch": torch.__version__, "made_by": "scripts/bench/make_models.py"}, f, indent=2)
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    print(f"  wrote {final}: {params / 1e6:.1f}M parameters, {info['dtype']} ({time.time() - t0:.1f} s)", flush=True)
    return final


def ensure(names, out_dir, force=False, check=True):
    """Make each named model unless an identical one is already there; returns name -> directory."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for name in names:
        if name not in MODELS:
            raise SystemExit(f"unknown model '{name}' (known: {', '.join(MODELS)})")
        directory = os.path.join(out_dir, name)
        if not force and is_complete(directory, name):
            print(f"  {name}: up to date in {directory}", flush=True)
        else:
            build(name, out_dir, check=check)
        paths[name] = directory
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--only", help="comma-separated subset of: " + ", ".join(MODELS))
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    names = args.only.split(",") if args.only else list(MODELS)
    ensure(names, os.path.abspath(args.out), force=args.force)


if __name__ == "__main__":
    sys.exit(main())
