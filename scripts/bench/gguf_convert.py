#!/usr/bin/env python3
"""Run llama.cpp's convert_hf_to_gguf.py on a random-weight benchmark checkpoint.

    python scripts/bench/gguf_convert.py LLAMA_CPP_SOURCE_DIR MODEL_DIR --outtype f32 --outfile X.gguf

Everything after LLAMA_CPP_SOURCE_DIR goes to the converter unchanged. Two things are adjusted in
the converter's own process, without touching its files:

* the converter fingerprints a BPE tokenizer by hashing how it splits a test string and refuses
  one it does not know; the benchmark tokenizer (scripts/bench/make_models.py) is a byte-level
  GPT-2-style BPE, so an unknown fingerprint is taken as `gpt-2`;
* llama.cpp refuses a BPE vocabulary without merges, and gguf-py writes no empty arrays; a byte
  tokenizer with no merges (the bundled tiny-arithmetic model) gets one merge of two NUL bytes
  ("Ā Ā"), which no text without NUL bytes ever uses, so every token stays one byte;
* llama.cpp's MiniMax-01 graph takes the layer plan from `<arch>.attention.recurrent_layers` and
  otherwise assumes a softmax layer every 8th layer; the converter writes no plan, so it is written
  here from the checkpoint's `attn_type_list` (0 = lightning = recurrent), which makes
  non-default plans (all-lightning, say) convert correctly.

MODEL_DIR must hold the M1 config dialect (compare.py's llama.cpp step writes it).
"""
import json
import os
import runpy
import sys


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    source = os.path.abspath(sys.argv[1])
    converter = os.path.join(source, "convert_hf_to_gguf.py")
    if not os.path.isfile(converter):
        raise SystemExit(f"no convert_hf_to_gguf.py in {source}")
    sys.path.insert(0, os.path.join(source, "gguf-py"))
    sys.path.insert(0, source)

    import conversion.base as base  # noqa: E402  (llama.cpp's converter package)
    import conversion.minimax as minimax  # noqa: E402

    original_pre = base.TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self, tokenizer):
        try:
            return original_pre(self, tokenizer)
        except NotImplementedError:
            base.logger.warning("unknown BPE pre-tokenizer fingerprint: using 'gpt-2' (byte-level benchmark tokenizer)")
            return "gpt-2"

    base.TextModel.get_vocab_base_pre = get_vocab_base_pre

    import gguf  # noqa: E402  (llama.cpp's gguf-py)

    original_add = gguf.SpecialVocab.add_to_gguf

    def add_to_gguf(self, gw, quiet=False):
        if self.load_merges and not self.merges:
            base.logger.warning("no BPE merges (byte tokenizer): writing the unused merge 'Ā Ā'")
            self.merges = ["\u0100 \u0100"]
        return original_add(self, gw, quiet=quiet)

    gguf.SpecialVocab.add_to_gguf = add_to_gguf

    original_params = minimax.MiniMaxText01Model.set_gguf_parameters

    def set_gguf_parameters(self):
        original_params(self)
        plan = self.hparams.get("attn_type_list")
        if plan is not None:
            self.gguf_writer.add_recurrent_layers([int(t) == 0 for t in plan])
            base.logger.info(f"gguf: recurrent (lightning) layers = {[int(t) == 0 for t in plan]}")

    minimax.MiniMaxText01Model.set_gguf_parameters = set_gguf_parameters

    sys.argv = [converter] + sys.argv[2:]
    runpy.run_path(converter, run_name="__main__")


if __name__ == "__main__":
    main()
