#!/usr/bin/env python3
"""Tiny random OPT models in Hugging Face layout, written by real PyTorch, with reference logits.

Run with Debian's python3-torch (no `transformers` needed): /usr/bin/python3 scripts/make-opt-fixtures-torch.py
Writes test/fixtures/opt/<variant>/:
  config.json                HF keys (model_type "opt")
  pytorch_model.bin          torch.save of an fp16 state dict with "decoder.*" keys and a TIED
                             lm_head.weight (same storage as decoder.embed_tokens.weight), as the
                             facebook/opt-* repositories publish them
  model.safetensors          the same fp16 weights under "model.decoder.*" (save_pretrained names)
  tokenizer files            copied from assets/tokenizers/gpt2-opt-4k
  reference.safetensors      input_ids, attention_mask (left-padded batch) and logits computed in
                             float32 by opt_forward() below: an independent implementation of
                             Hugging Face's modeling_opt forward (positions from the mask + 2,
                             causal + padding masks, pre-/post-LN, project_in/out, tied lm_head)
and test/fixtures/opt/evil/pytorch_model.bin: a zip checkpoint whose pickle names builtins.print
(the restricted reader must refuse it without executing anything).
The `transformers` version of this script (scripts/make-opt-fixtures.py) runs on the device machine.
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_write import save_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "opt")
TOKENIZER = os.path.join(ROOT, "assets", "tokenizers", "gpt2-opt-4k")
VOCAB = 4104  # the 4,096-id tokenizer rounded up to a multiple of 8 (OPT: 50,265 -> 50,272)

VARIANTS = {
    "pre-ln": dict(hidden_size=64, ffn_dim=128, num_hidden_layers=2, num_attention_heads=4, word_embed_proj_dim=64, do_layer_norm_before=True),
    "post-ln-proj": dict(hidden_size=64, ffn_dim=96, num_hidden_layers=2, num_attention_heads=4, word_embed_proj_dim=32, do_layer_norm_before=False),
}


def random_state_dict(c, seed):
    g = torch.Generator().manual_seed(seed)
    h, f, e = c["hidden_size"], c["ffn_dim"], c["word_embed_proj_dim"]
    n = lambda *shape, s=0.05: torch.randn(*shape, generator=g) * s
    sd = {"decoder.embed_tokens.weight": n(VOCAB, e, s=0.3), "decoder.embed_positions.weight": n(c["max_position_embeddings"] + 2, h, s=0.3)}
    if e != h:
        sd["decoder.project_in.weight"] = n(h, e, s=0.2)
        sd["decoder.project_out.weight"] = n(e, h, s=0.2)
    for i in range(c["num_hidden_layers"]):
        p = f"decoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            sd[p + f"self_attn.{proj}.weight"] = n(h, h, s=0.15)
            sd[p + f"self_attn.{proj}.bias"] = n(h)
        for ln in ("self_attn_layer_norm", "final_layer_norm"):
            sd[p + ln + ".weight"] = 1 + n(h, s=0.1)
            sd[p + ln + ".bias"] = n(h, s=0.1)
        sd[p + "fc1.weight"], sd[p + "fc1.bias"] = n(f, h, s=0.15), n(f)
        sd[p + "fc2.weight"], sd[p + "fc2.bias"] = n(h, f, s=0.15), n(h)
    if c["do_layer_norm_before"]:
        sd["decoder.final_layer_norm.weight"] = 1 + n(h, s=0.1)
        sd["decoder.final_layer_norm.bias"] = n(h, s=0.1)
    return {k: v.half() for k, v in sd.items()}  # published checkpoints are fp16


def opt_forward(sd, c, ids, mask):
    """Hugging Face OPT semantics, in float32."""
    w = {k: v.float() for k, v in sd.items()}
    pre = c["do_layer_norm_before"]
    heads = c["num_attention_heads"]
    h = c["hidden_size"]
    hd = h // heads
    ln = lambda x, name: torch.nn.functional.layer_norm(x, (h,), w[name + ".weight"], w[name + ".bias"], 1e-5)
    lin = lambda x, name: x @ w[name + ".weight"].t() + w[name + ".bias"]
    x = w["decoder.embed_tokens.weight"][ids]
    if "decoder.project_in.weight" in w:
        x = x @ w["decoder.project_in.weight"].t()
    pos = (torch.cumsum(mask, 1) * mask - 1) + 2
    x = x + w["decoder.embed_positions.weight"][pos]
    b, t = ids.shape
    big = torch.finfo(torch.float32).min
    causal = torch.triu(torch.full((t, t), big), 1)
    m = causal[None, None] + torch.where(mask[:, None, None, :].bool(), 0.0, big)
    m = torch.clamp(m, min=big)
    for i in range(c["num_hidden_layers"]):
        p = f"decoder.layers.{i}."
        r = x
        y = ln(x, p + "self_attn_layer_norm") if pre else x
        q = (lin(y, p + "self_attn.q_proj") * hd ** -0.5).view(b, t, heads, hd).transpose(1, 2)
        k = lin(y, p + "self_attn.k_proj").view(b, t, heads, hd).transpose(1, 2)
        v = lin(y, p + "self_attn.v_proj").view(b, t, heads, hd).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) + m, -1) @ v
        x = r + lin(a.transpose(1, 2).reshape(b, t, h), p + "self_attn.out_proj")
        if not pre:
            x = ln(x, p + "self_attn_layer_norm")
        r = x
        y = ln(x, p + "final_layer_norm") if pre else x
        x = r + lin(torch.relu(lin(y, p + "fc1")), p + "fc2")
        if not pre:
            x = ln(x, p + "final_layer_norm")
    if pre:
        x = ln(x, "decoder.final_layer_norm")
    if "decoder.project_out.weight" in w:
        x = x @ w["decoder.project_out.weight"].t()
    return x @ w["decoder.embed_tokens.weight"].t()


def main():
    for seed, (name, variant) in enumerate(VARIANTS.items()):
        c = dict(model_type="opt", vocab_size=VOCAB, max_position_embeddings=64, activation_function="relu",
                 pad_token_id=1, bos_token_id=2, eos_token_id=2, enable_bias=True, layer_norm_elementwise_affine=True,
                 torch_dtype="float16", **variant)
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(c, f, indent=2)
        for fn in os.listdir(TOKENIZER):
            shutil.copy(os.path.join(TOKENIZER, fn), d)
        sd = random_state_dict(c, seed + 1)
        published = dict(sd)
        published["lm_head.weight"] = published["decoder.embed_tokens.weight"]  # tied: one storage
        torch.save(published, os.path.join(d, "pytorch_model.bin"))
        save_safetensors(os.path.join(d, "model.safetensors"), {"model." + k: v for k, v in sd.items()})
        ids = torch.tensor([[1, 1, 2, 100, 2000, 31], [2, 5, 600, 7, 4000, 9]])
        mask = torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
        save_safetensors(os.path.join(d, "reference.safetensors"), {"input_ids": ids, "attention_mask": mask, "logits": opt_forward(sd, c, ids, mask).contiguous()})
        print(f"{name}: {sum(v.numel() for v in sd.values())} parameters -> {d}")

    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))

    os.makedirs(os.path.join(OUT, "evil"), exist_ok=True)
    torch.save({"decoder.embed_tokens.weight": Evil()}, os.path.join(OUT, "evil", "pytorch_model.bin"))


if __name__ == "__main__":
    main()
