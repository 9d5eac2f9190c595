#!/usr/bin/env python3
"""Reference parity fixtures from Hugging Face `transformers` (run where it is installed, e.g. the
device machine: `python3 scripts/make-opt-fixtures.py`).

For a pre-LN and a post-LN (+ project_in/out) tiny random OPT, writes test/fixtures/opt-hf/<variant>/:
config.json, pytorch_model.bin (save_pretrained(safe_serialization=False), fp16, tied lm_head),
model.safetensors (safe_serialization=True), tokenizer files (copied from our 4k tokenizer) and
reference.safetensors: input_ids, attention_mask (a left-padded batch) and the float32 logits of
OPTForCausalLM for them. test/models/opt-hf.test.ts compares ours against these (<= 1e-4) when
the folder exists. The same layout as scripts/make-opt-fixtures-torch.py, so one loader tests both.
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_write import save_safetensors  # noqa: E402
from transformers import OPTConfig, OPTForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "opt-hf")
TOKENIZER = os.path.join(ROOT, "assets", "tokenizers", "gpt2-opt-4k")
VARIANTS = {
    "pre-ln": dict(hidden_size=64, ffn_dim=128, num_hidden_layers=2, num_attention_heads=4, word_embed_proj_dim=64, do_layer_norm_before=True),
    "post-ln-proj": dict(hidden_size=64, ffn_dim=96, num_hidden_layers=2, num_attention_heads=4, word_embed_proj_dim=32, do_layer_norm_before=False),
}


def main():
    for seed, (name, v) in enumerate(VARIANTS.items()):
        torch.manual_seed(seed + 10)
        config = OPTConfig(vocab_size=4104, max_position_embeddings=64, pad_token_id=1, bos_token_id=2, eos_token_id=2, **v)
        model = OPTForCausalLM(config).eval()
        with torch.no_grad():  # random LayerNorm parameters, so loading them wrongly shows
            for n, p in model.named_parameters():
                if "layer_norm" in n:
                    p.add_(torch.randn_like(p) * 0.1)
        model = model.half()
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        model.save_pretrained(d, safe_serialization=False)
        model.save_pretrained(d, safe_serialization=True)
        for fn in os.listdir(TOKENIZER):
            shutil.copy(os.path.join(TOKENIZER, fn), d)
        ids = torch.tensor([[1, 1, 2, 100, 2000, 31], [2, 5, 600, 7, 4000, 9]])
        mask = torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
        with torch.no_grad():
            logits = model.float()(input_ids=ids, attention_mask=mask).logits
        save_safetensors(os.path.join(d, "reference.safetensors"), {"input_ids": ids, "attention_mask": mask, "logits": logits})
        print(f"{name} -> {d}")


if __name__ == "__main__":
    main()
