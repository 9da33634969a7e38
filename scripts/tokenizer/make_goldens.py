#!/usr/bin/env python3
"""Builds the Tokenization test fixtures with the Rust `tokenizers` library.

Trains tiny byte-level BPE models on corpus.txt (plus a little filler), each with a different
pipeline, saves them under Tests/TokenizationTests/Fixtures/<name>/, and records the expected
ids and decodes of every corpus case in <name>/expected.json.

    /work/main/.venv-ref/bin/python scripts/tokenizer/make_goldens.py
"""
import json
import os
import shutil

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "Tests", "TokenizationTests", "Fixtures")

GPT4_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
GPT4O_PATTERN = r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

FILLER = [
    "the of and to in is that for it as with was on be by at this are from or an but not",
    "function return value string number array object class struct import export let var",
    "tokenizer byte pair encoding merges vocabulary unicode scalar grapheme whitespace",
] * 20


def corpus_cases():
    with open(os.path.join(HERE, "corpus.txt"), encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    cases = [line for line in lines]
    # Multi-line stretches: newline runs, indentation after newlines, CRLF in context.
    cases += ["\n".join(lines[i:i + 4]) for i in range(0, len(lines), 4)]
    cases += ["\n\n\n", "a\n\n  b", "  \n  \n", "\r\n\r\n x", "\t\n\t", "", "x" * 300, " " * 70 + "end",
              "你好" * 40, "😀" * 20]
    cases.append(text)
    return cases


def bpe_trainer(vocab_size, special=()):
    return trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, special_tokens=list(special),
                               initial_alphabet=pre_tokenizers.ByteLevel.alphabet())


def train(tokenizer, vocab_size=900, special=()):
    training = corpus_cases() + FILLER
    tokenizer.train_from_iterator(training, bpe_trainer(vocab_size, special))
    return tokenizer


def gpt2_style():
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    return train(t)


def split_then_bytes(pattern):
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    t.decoder = decoders.ByteLevel()
    return train(t)


def normalized():
    t = Tokenizer(models.BPE(ignore_merges=True))
    t.normalizer = normalizers.Sequence([
        normalizers.NFKC(), normalizers.Replace(Regex(r"\t+"), " "), normalizers.Lowercase(),
        normalizers.Strip(left=False, right=True),
    ])
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True),
    ])
    t.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Strip(" ", 1, 0)])
    return train(t)


def nfc_prepend():
    t = Tokenizer(models.BPE())
    t.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Prepend("▁"),
                                         normalizers.Replace(" ", "▁")])
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\p{N}{1,2}|▁?\p{L}+|\s+|[^\s\p{L}\p{N}▁]+"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    t.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Replace("▁", " "), decoders.Strip(" ", 1, 0)])
    return train(t)


def behaviours():
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split("-", behavior="removed"),
        pre_tokenizers.Split(Regex(r"[,.;:]"), behavior="merged_with_previous"),
        pre_tokenizers.Split(Regex(r"[$#@(]"), behavior="merged_with_next"),
        pre_tokenizers.Split(Regex(r"\p{N}"), behavior="contiguous"),
        pre_tokenizers.Split(Regex(r"\s+"), behavior="merged_with_previous", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    t.decoder = decoders.ByteLevel()
    return train(t)


def added_tokens():
    t = Tokenizer(models.BPE())
    t.normalizer = normalizers.NFC()
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    train(t, special=["<|endoftext|>", "<end_of_sentence>"])
    t.add_special_tokens([AddedToken("<beginning_of_sentence>", special=True),
                          AddedToken("[MASK]", special=True, lstrip=True, rstrip=True)])
    t.add_tokens([AddedToken("<think>", normalized=False), AddedToken("</think>", normalized=False),
                  AddedToken(" hello", normalized=False), AddedToken("café", normalized=True),
                  AddedToken("word", single_word=True, normalized=False)])
    bos = t.token_to_id("<beginning_of_sentence>")
    eos = t.token_to_id("<end_of_sentence>")
    t.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<beginning_of_sentence> $A <end_of_sentence>",
                                      special_tokens=[("<beginning_of_sentence>", bos), ("<end_of_sentence>", eos)]),
    ])
    return t


ADDED_TOKEN_CASES = [
    "<beginning_of_sentence>user\nHi there<end_of_sentence>\n<beginning_of_sentence>ai\n<think>\nhmm\n</think>\nHello!<|endoftext|>",
    "a [MASK] b   [MASK]   c[MASK]d",
    "say hello hello world,hello",
    "Café CAFÉ café cafe\u0301 décafé",
    "word words sword word_ word. (word) wordy",
    "<think></think><think>x</think>",
    "<end_of_sentence><end_of_sentence>",
]


def write(name, tokenizer, extra_cases=()):
    directory = os.path.join(FIXTURES, name)
    os.makedirs(directory, exist_ok=True)
    tokenizer.save(os.path.join(directory, "tokenizer.json"), pretty=False)
    record(directory, name, tokenizer, extra_cases)


def record(directory, name, tokenizer, extra_cases=()):
    cases = []
    for text in corpus_cases() + list(extra_cases):
        encoding = tokenizer.encode(text, add_special_tokens=False)
        ids = encoding.ids
        case = {"text": text, "ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False)}
        # Recorded only where they differ from the above, to keep the fixtures small.
        with_special = tokenizer.encode(text, add_special_tokens=True).ids
        if with_special != ids:
            case["ids_with_special"] = with_special
        skipping = tokenizer.decode(ids, skip_special_tokens=True)
        if skipping != case["decoded"]:
            case["decoded_skipping_special"] = skipping
        cases.append(case)
    with open(os.path.join(directory, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"name": name, "cases": cases}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def legacy_layout(gpt2):
    """vocab.json + merges.txt + special_tokens_map.json, checked against the same BPE run by tokenizers."""
    directory = os.path.join(FIXTURES, "legacy_gpt2")
    os.makedirs(directory, exist_ok=True)
    gpt2.model.save(directory)
    with open(os.path.join(directory, "special_tokens_map.json"), "w") as f:
        json.dump({"eos_token": "<|endoftext|>", "bos_token": {"content": "<|endoftext|>"}}, f)
    with open(os.path.join(directory, "added_tokens.json"), "w") as f:
        json.dump({"<|endoftext|>": gpt2.get_vocab_size()}, f)
    reference = Tokenizer(models.BPE.from_file(os.path.join(directory, "vocab.json"), os.path.join(directory, "merges.txt")))
    reference.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    reference.decoder = decoders.ByteLevel()
    reference.add_special_tokens([AddedToken("<|endoftext|>", special=True)])
    assert reference.token_to_id("<|endoftext|>") == gpt2.get_vocab_size()
    record(directory, "legacy_gpt2", reference, ["one<|endoftext|>two"])


def main():
    if os.path.isdir(FIXTURES):
        for entry in os.listdir(FIXTURES):
            path = os.path.join(FIXTURES, entry)
            if os.path.isdir(path):
                shutil.rmtree(path)
    gpt2 = gpt2_style()
    write("gpt2_bytelevel", gpt2)
    write("gpt4_split", split_then_bytes(GPT4_PATTERN))
    write("gpt4o_split", split_then_bytes(GPT4O_PATTERN))
    write("normalized", normalized())
    write("nfc_prepend_regex", nfc_prepend())
    write("split_behaviours", behaviours())
    write("added_tokens", added_tokens(), ADDED_TOKEN_CASES)
    legacy_layout(gpt2)


if __name__ == "__main__":
    main()
