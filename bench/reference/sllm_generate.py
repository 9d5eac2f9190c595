#!/usr/bin/env python3
"""Independent reference: the straightforward SLLM generation step in plain PyTorch eager (random
weights, the given shapes): per sentence, the stop head, then the SentenceVAE decoder token by
token (self-attention KV cache, general cross-attention over the one memory vector, output head),
then the sentence re-encoded ([bos, tokens], sum + LayerNorm), then one OPT step over sentences
with a sentence-level KV cache. Sentence lengths are forced (eos ignored).

argv: config JSON {llm: {hidden, ffn, layers, heads}, svae: {hidden, ffn, layers, heads, vocabSize}},
batch, prompt sentences, sentence lengths (comma list, one per generated sentence), threads, repeats.
Prints JSON {seconds: [...per repeat, prefill included], tokens_per_repeat}.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


def lin(i, o):
    return (torch.randn(o, i) * 0.02, torch.zeros(o))


def ln(h):
    return (torch.ones(h), torch.zeros(h))


def attention(p, x, kv_source, heads, cache=None, causal=False):
    b, t, h = x.shape
    hd = h // heads
    q = (F.linear(x, *p["q"]) * hd ** -0.5).view(b, t, heads, hd).transpose(1, 2)
    k = F.linear(kv_source, *p["k"]).view(b, -1, heads, hd).transpose(1, 2)
    v = F.linear(kv_source, *p["v"]).view(b, -1, heads, hd).transpose(1, 2)
    if cache is not None:
        if cache.get("k") is not None:
            k = torch.cat([cache["k"], k], 2)
            v = torch.cat([cache["v"], v], 2)
        cache["k"], cache["v"] = k, v
    s = q @ k.transpose(-1, -2)
    if causal and t > 1:
        s = s + torch.triu(torch.full((t, k.shape[2]), -1e9), 1 + k.shape[2] - t)
    a = torch.softmax(s, -1) @ v
    return F.linear(a.transpose(1, 2).reshape(b, t, h), *p["o"])


def block(h, f, cross=False):
    p = {"self": {k: lin(h, h) for k in "qkvo"}, "ln1": ln(h), "fc1": lin(h, f), "fc2": lin(f, h), "ln2": ln(h)}
    if cross:
        p["cross"] = {k: lin(h, h) for k in "qkvo"}
        p["lnc"] = ln(h)
    return p


def sinusoid(n, h):
    pos = torch.arange(n).float().unsqueeze(1)
    div = torch.exp(torch.arange(0, h, 2).float() * (-math.log(10000.0) / h))
    out = torch.zeros(n, h)
    out[:, 0::2] = torch.sin(pos * div)
    out[:, 1::2] = torch.cos(pos * div)
    return out


def main():
    c = json.loads(sys.argv[1])
    batch, prompt_sentences = int(sys.argv[2]), int(sys.argv[3])
    lengths = [int(x) for x in sys.argv[4].split(",")]
    threads, repeats = int(sys.argv[5]), int(sys.argv[6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    L, S = c["llm"], c["svae"]
    H, V = S["hidden"], S["vocabSize"]
    llm = [block(H, L["ffn"]) for _ in range(L["layers"])]
    llm_pos = torch.randn(2048 + 2, H) * 0.02
    llm_final = ln(H)
    enc = [block(H, S["ffn"]) for _ in range(S["layers"])]
    dec = [block(H, S["ffn"], cross=True) for _ in range(S["layers"])]
    enc_emb, dec_emb = torch.randn(V, H) * 0.02, torch.randn(V, H) * 0.02
    enc_ln, dec_ln = ln(H), ln(H)
    head = lin(H, V)
    stop = lin(H, 2)
    sin = sinusoid(64, H)

    def ffn(p, x):
        return F.linear(torch.relu(F.linear(F.layer_norm(x, (H,), *p["ln2"]), *p["fc1"])), *p["fc2"])

    def encode(ids):  # [b, t] -> [b, H]
        x = enc_emb[ids] + sin[: ids.shape[1]]
        for p in enc:
            y = F.layer_norm(x, (H,), *p["ln1"])
            x = x + attention(p["self"], y, y, S["heads"])
            x = x + ffn(p, x)
        return F.layer_norm(x.sum(1), (H,), *enc_ln)

    def llm_step(x, start, cache):  # x [b, t, H]
        x = x + llm_pos[start + 2 : start + 2 + x.shape[1]]
        for i, p in enumerate(llm):
            y = F.layer_norm(x, (H,), *p["ln1"])
            x = x + attention(p["self"], y, y, L["heads"], cache[i], causal=True)
            x = x + ffn(p, x)
        return F.layer_norm(x, (H,), *llm_final)[:, -1]

    def decode(memory, n):  # token by token, KV cache, general cross-attention
        caches = [{} for _ in dec]
        tok = torch.full((memory.shape[0],), 2, dtype=torch.long)
        out = []
        mem = memory.unsqueeze(1)
        for t in range(n):
            x = dec_emb[tok].unsqueeze(1) + sin[t]
            for i, p in enumerate(dec):
                y = F.layer_norm(x, (H,), *p["ln1"])
                x = x + attention(p["self"], y, y, S["heads"], caches[i])
                y = F.layer_norm(x, (H,), *p["lnc"])
                x = x + attention(p["cross"], y, mem, S["heads"])
                x = x + ffn(p, x)
            tok = F.linear(F.layer_norm(x, (H,), *dec_ln), *head)[:, -1].argmax(-1)
            out.append(tok)
        return torch.stack(out, 1)

    times = []
    with torch.inference_mode():
        for r in range(repeats + 1):
            prompt = torch.randint(4, V, (batch * prompt_sentences, 11))
            t0 = time.perf_counter()
            cache = [{} for _ in llm]
            vectors = encode(prompt).view(batch, prompt_sentences, H)
            h = llm_step(vectors, 0, cache)
            for k, n in enumerate(lengths):
                F.linear(h, *stop).argmax(-1)
                tokens = decode(h, n)
                bos = torch.full((batch, 1), 2, dtype=torch.long)
                h = llm_step(encode(torch.cat([bos, tokens], 1)).unsqueeze(1), prompt_sentences + k, cache)
            if r > 0:
                times.append(time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "seconds": times, "tokens_per_repeat": batch * sum(lengths)}))


if __name__ == "__main__":
    main()
