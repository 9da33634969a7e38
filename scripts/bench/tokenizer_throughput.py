#!/usr/bin/env python3
"""Encode throughput of the Swift tokenizer against the Rust `tokenizers` library, same text,
same tokenizer.json, same machine.

    /work/main/.venv-ref/bin/python scripts/bench/tokenizer_throughput.py [--model DIR] [--text FILE]

Without --model it writes bench-models/m1-gpt4o/tokenizer.json: MiniMax-M1's vocabulary built
from ../shared/minimax-m1/merges.txt (id b = byte b, merge i = id 256 + i) with the GPT-4o split
rule, the same tokenizer `Tokenizer.m1(mergesFile:)` builds. Without --text it writes a ~1.5 MB
mixed text (English prose and Python code from the installed packages, and the multilingual
test corpus shuffled: Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, CJK, emoji, numbers…).

The Swift side runs `swift run -c release minimax tokenize --model DIR --bench FILE` and reads
its JSON line {"mb_per_s": …, "tokens": …}. Both sides report the best of N runs of one
single-threaded encode of the whole text.
"""
import argparse
import glob
import json
import os
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GPT4O_PATTERN = r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
M1_ADDED = {"<pad>": 200000, "<beginning_of_sentence>": 200019, "<end_of_sentence>": 200020,
            "<end_of_document>": 200021, "<function_call>": 200022}


def bytes_to_unicode():
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    mapping, extra = {}, 0
    for b in range(256):
        if b in printable:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def write_m1_tokenizer(merges_path, directory):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "tokenizer.json")
    if os.path.exists(path):
        return
    alphabet = bytes_to_unicode()
    vocab = {alphabet[b]: b for b in range(256)}
    merges = []
    with open(merges_path, encoding="utf-8") as f:
        for number, line in enumerate(f.read().split("\n")):
            if not line or (number == 0 and line.startswith("#version")):
                continue
            left, right = line.split(" ")
            vocab.setdefault(left + right, 256 + len(merges))
            merges.append([left, right])
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for c, i in M1_ADDED.items()],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": GPT4O_PATTERN}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)


def write_mixed_text(path, target_bytes=1_500_000):
    if os.path.exists(path):
        return
    random.seed(1234)
    sources = sorted(glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages", "transformers", "*.py")))
    code = []
    for source in sources:
        with open(source, encoding="utf-8", errors="replace") as f:
            code.append(f.read())
    code_text = "\n".join(code)[: target_bytes * 6 // 10]
    with open(os.path.join(ROOT, "scripts", "tokenizer", "corpus.txt"), encoding="utf-8") as f:
        lines = [line for line in f.read().split("\n") if line.strip()]
    multilingual = []
    size = 0
    while size < target_bytes - len(code_text.encode()):
        line = random.choice(lines)
        if random.random() < 0.3:
            line += f" {random.randint(0, 10 ** random.randint(1, 9))}"
        multilingual.append(line)
        size += len(line.encode()) + 1
    # Interleave chunks so neither kind sits in one long block.
    chunks = [code_text[i:i + 4000] for i in range(0, len(code_text), 4000)]
    per_chunk = max(1, len(multilingual) // max(1, len(chunks)))
    parts = []
    for index, chunk in enumerate(chunks):
        parts.append(chunk)
        parts.append("\n".join(multilingual[index * per_chunk:(index + 1) * per_chunk]))
    parts.append("\n".join(multilingual[len(chunks) * per_chunk:]))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))


def python_throughput(model_dir, text_path, repetitions):
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    with open(text_path, encoding="utf-8") as f:
        text = f.read()
    size = len(text.encode("utf-8"))
    tokens = len(tokenizer.encode(text, add_special_tokens=False).ids)
    best = float("inf")
    for _ in range(repetitions):
        start = time.perf_counter()
        tokenizer.encode(text, add_special_tokens=False)
        best = min(best, time.perf_counter() - start)
    lines = text.split("\n")
    batch_best = float("inf")
    for _ in range(repetitions):
        start = time.perf_counter()
        tokenizer.encode_batch(lines, add_special_tokens=False)
        batch_best = min(batch_best, time.perf_counter() - start)
    return {"mb_per_s": size / best / 1e6, "tokens": tokens, "batch_mb_per_s": size / batch_best / 1e6}, \
        tokenizer.encode(text, add_special_tokens=False).ids


def swift_throughput(model_dir, text_path, repetitions):
    command = ["swift", "run", "-c", "release", "minimax", "tokenize", "--model", model_dir, "--bench", text_path,
               "--repetitions", str(repetitions)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    for line in result.stdout.splitlines():
        if line.startswith('{"mb_per_s"'):
            return json.loads(line), "minimax tokenize --bench"
    sys.exit(f"no throughput line from {' '.join(command)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="directory with tokenizer.json (default: M1 vocabulary, GPT-4o split)")
    parser.add_argument("--text", help="UTF-8 text file (default: generated mixed text)")
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    bench = os.path.join(ROOT, "bench-models")
    model_dir = args.model or os.path.join(bench, "m1-gpt4o")
    if not args.model:
        write_m1_tokenizer(os.path.join(ROOT, "..", "shared", "minimax-m1", "merges.txt"), model_dir)
    text_path = args.text or os.path.join(bench, "tokenizer_mixed_text.txt")
    if not args.text:
        write_mixed_text(text_path)
    model_dir, text_path = os.path.abspath(model_dir), os.path.abspath(text_path)
    size = os.path.getsize(text_path)
    python, _ = python_throughput(model_dir, text_path, args.repetitions)
    swift, source = swift_throughput(model_dir, text_path, args.repetitions)
    report = {"text_bytes": size, "model": model_dir, "swift": swift, "swift_source": source,
              "tokenizers": python, "same_token_count": swift["tokens"] == python["tokens"]}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
