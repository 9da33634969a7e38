#!/usr/bin/env python3
"""A copy of a GGUF whose control tokens (`<beginning_of_sentence>`, `<end_of_sentence>`, ...) are
marked user-defined, so that llama.cpp finds them in plain text.

    python scripts/bench/gguf_user_specials.py LLAMA_CPP_SOURCE_DIR IN.gguf OUT.gguf

`llama-perplexity` tokenizes its -f text with parse_special = false, which skips control tokens: a
rendered chat's `<beginning_of_sentence>` becomes 23 byte tokens there, while `minimax tokenize` (and
`minimax train`, which is how the model saw its data) makes it one token. User-defined tokens are
matched in any text (llama-vocab.cpp, tokenizer_st_partition), so with this copy llama.cpp tokenizes
chat text as we do. Only `tokenizer.ggml.token_type` changes (in place, same size): the weights,
the graph and every number llama.cpp computes from given tokens stay as they were. Needs numpy and
llama.cpp's gguf-py (LLAMA_CPP_SOURCE_DIR/gguf-py).
"""
import os
import shutil
import sys


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    source, src, dst = sys.argv[1:]
    sys.path.insert(0, os.path.join(os.path.abspath(source), "gguf-py"))
    import gguf  # noqa: E402  (llama.cpp's gguf-py)

    shutil.copyfile(src, dst + ".tmp")
    reader = gguf.GGUFReader(dst + ".tmp", "r+")
    tokens = reader.fields["tokenizer.ggml.tokens"]
    types = reader.fields["tokenizer.ggml.token_type"]
    changed = []
    for token_index, part_index in enumerate(types.data):
        value = types.parts[part_index]
        if int(value[0]) == gguf.TokenType.CONTROL:
            value[0] = gguf.TokenType.USER_DEFINED
            changed.append(bytes(tokens.parts[tokens.data[token_index]]).decode("utf-8", "replace"))
    reader.data.flush()
    del reader
    os.replace(dst + ".tmp", dst)
    print(f"{len(changed)} control tokens marked user-defined: {' '.join(changed)} -> {dst}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
