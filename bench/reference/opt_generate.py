#!/usr/bin/env python3
"""Independent reference: OPT token-by-token greedy generation in plain PyTorch eager with a KV
cache (random weights, the given shape), timed per generated token.

argv: config JSON (hidden, ffn, layers, heads, vocab), batch, prompt length, new tokens, threads,
repeats[, "with-prefill"]. Prints JSON {seconds: [...per repeat], tokens_per_repeat}: decode only,
or from before the prompt's forward with "with-prefill" (then the prompt's step makes token 1).
Run with Debian's python3-torch: the same LibTorch 1.13 the addon links.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def main():
    c = json.loads(sys.argv[1])
    batch, prompt, new, threads, repeats = (int(x) for x in sys.argv[2:7])
    with_prefill = len(sys.argv) > 7 and sys.argv[7] == "with-prefill"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    h, f, L, heads, V = c["hidden"], c["ffn"], c["layers"], c["heads"], c["vocabSize"]
    hd = h // heads
    lin = lambda i, o: (torch.randn(o, i) * 0.02, torch.zeros(o))
    layers = []
    for _ in range(L):
        layers.append({k: lin(h, h) for k in ("q", "k", "v", "o")} | {"fc1": lin(h, f), "fc2": lin(f, h),
                       "ln1": (torch.ones(h), torch.zeros(h)), "ln2": (torch.ones(h), torch.zeros(h))})
    embed = torch.randn(V, h) * 0.02
    pos = torch.randn(2048 + 2, h) * 0.02
    final = (torch.ones(h), torch.zeros(h))

    def step(x, start, cache):
        b, t, _ = x.shape
        x = x + pos[start + 2 : start + 2 + t]
        for i, p in enumerate(layers):
            y = F.layer_norm(x, (h,), *p["ln1"])
            q = (F.linear(y, *p["q"]) * hd ** -0.5).view(b, t, heads, hd).transpose(1, 2)
            k = F.linear(y, *p["k"]).view(b, t, heads, hd).transpose(1, 2)
            v = F.linear(y, *p["v"]).view(b, t, heads, hd).transpose(1, 2)
            if cache[i] is not None:
                k = torch.cat([cache[i][0], k], 2)
                v = torch.cat([cache[i][1], v], 2)
            cache[i] = (k, v)
            s = q @ k.transpose(-1, -2)
            if t > 1:
                s = s + torch.triu(torch.full((t, k.shape[2]), -1e9), 1 + k.shape[2] - t)
            a = torch.softmax(s.float(), -1) @ v
            x = x + F.linear(a.transpose(1, 2).reshape(b, t, h), *p["o"])
            y = F.layer_norm(x, (h,), *p["ln2"])
            x = x + F.linear(torch.relu(F.linear(y, *p["fc1"])), *p["fc2"])
        return F.layer_norm(x, (h,), *final) @ embed.t()

    times = []
    with torch.inference_mode():
        for r in range(repeats + 1):
            ids = torch.randint(4, V, (batch, prompt))
            cache = [None] * L
            t_prefill = time.perf_counter()
            logits = step(embed[ids], 0, cache)
            nxt = logits[:, -1].argmax(-1)
            t0 = t_prefill if with_prefill else time.perf_counter()
            for s in range(new - 1 if with_prefill else new):
                logits = step(embed[nxt].unsqueeze(1), prompt + s, cache)
                nxt = logits[:, -1].argmax(-1)
            if r > 0:
                times.append(time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "seconds": times, "tokens_per_repeat": batch * new}))


if __name__ == "__main__":
    main()
