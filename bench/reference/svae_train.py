#!/usr/bin/env python3
"""Independent reference: the same SentenceVAE trained in plain PyTorch eager on the same batches.

Reads a batch file written by bench/train-vs-pytorch.ts (int32 little-endian: count, then per
batch: B, L, ids[B*L], lengths[B]) and a JSON config; trains with the same recipe (pre-LN, ReLU,
sinusoidal positions, sum pooling + LayerNorm, single-vector cross-attention, focal loss gamma 2,
AdamW with decay on >= 2-dim tensors, clip 1.0, constant LR) and prints JSON timings.
Run with Debian's python3-torch (/usr/bin/python3): the same LibTorch 1.13 the addon links.
"""
import json
import math
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoid(length, hidden):
    pos = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, hidden, 2, dtype=torch.float32) * (-math.log(10000.0) / hidden))
    table = torch.zeros(length, hidden)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : hidden // 2]
    return table


class Attention(nn.Module):
    def __init__(self, h, heads, dropout):
        super().__init__()
        self.heads, self.hd, self.dropout = heads, h // heads, dropout
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(h, h) for _ in range(4))

    def forward(self, x, kv, mask=None):
        b, t, h = x.shape
        s = kv.shape[1]
        q = (self.q_proj(x) * self.hd ** -0.5).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(kv).view(b, s, self.heads, self.hd).transpose(1, 2)
        v = self.v_proj(kv).view(b, s, self.heads, self.hd).transpose(1, 2)
        scores = q @ k.transpose(-1, -2)
        if mask is not None:
            scores = scores + mask
        p = F.dropout(torch.softmax(scores.float(), -1).to(v.dtype), self.dropout, self.training)
        return self.out_proj((p @ v).transpose(1, 2).reshape(b, t, h))


class FFN(nn.Module):
    def __init__(self, h, ffn, dropout):
        super().__init__()
        self.fc1, self.fc2, self.dropout = nn.Linear(h, ffn), nn.Linear(ffn, h), dropout

    def forward(self, x):
        return self.fc2(F.dropout(F.relu(self.fc1(x)), self.dropout, self.training))


class EncoderBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.self_attn, self.ffn = Attention(h, c["heads"], c["dropout"]), FFN(h, c["ffn"], c["dropout"])
        self.ln1, self.ln2, self.p = nn.LayerNorm(h), nn.LayerNorm(h), c["dropout"]

    def forward(self, x, mask):
        n = self.ln1(x)
        x = x + F.dropout(self.self_attn(n, n, mask), self.p, self.training)
        return x + F.dropout(self.ffn(self.ln2(x)), self.p, self.training)


class DecoderBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.self_attn, self.cross = Attention(h, c["heads"], c["dropout"]), Attention(h, c["heads"], c["dropout"])
        self.ffn = FFN(h, c["ffn"], c["dropout"])
        self.ln1, self.ln2, self.ln3, self.p = nn.LayerNorm(h), nn.LayerNorm(h), nn.LayerNorm(h), c["dropout"]

    def forward(self, x, mask, memory):
        x = x + F.dropout(self.self_attn(self.ln1(x), self.ln1(x), mask), self.p, self.training)
        x = x + F.dropout(self.cross(self.ln2(x), memory), self.p, self.training)
        return x + F.dropout(self.ffn(self.ln3(x)), self.p, self.training)


class SentenceVAE(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, v = c["hidden"], c["vocabSize"]
        self.c = c
        self.enc_embed = nn.Embedding(v, h, padding_idx=c["padId"])
        self.dec_embed = nn.Embedding(v, h, padding_idx=c["padId"])
        self.enc = nn.ModuleList(EncoderBlock(c) for _ in range(c["layers"]))
        self.dec = nn.ModuleList(DecoderBlock(c) for _ in range(c["layers"]))
        self.enc_ln, self.dec_ln = nn.LayerNorm(h), nn.LayerNorm(h)
        self.lm_head = nn.Linear(h, v)
        self.register_buffer("pos", sinusoid(c["maxTokens"], h))

    def loss(self, ids, lengths, gamma=2.0):
        b, l = ids.shape
        valid = torch.arange(l).unsqueeze(0) < lengths.unsqueeze(1)
        pad_mask = torch.where(valid, 0.0, -1e9).view(b, 1, 1, l)
        x = F.dropout(self.enc_embed(ids) + self.pos[:l], self.c["dropout"], self.training)
        for blk in self.enc:
            x = blk(x, pad_mask)
        omega = self.enc_ln((x * valid.unsqueeze(-1)).sum(1))
        causal = torch.triu(torch.full((l, l), -1e9), 1).view(1, 1, l, l)
        y = F.dropout(self.dec_embed(ids) + self.pos[:l], self.c["dropout"], self.training)
        for blk in self.dec:
            y = blk(y, causal + pad_mask, omega.unsqueeze(1))
        logits = self.lm_head(self.dec_ln(y))
        targets = torch.cat([ids[:, 1:], torch.full((b, 1), self.c["padId"])], 1)
        targets.scatter_(1, (lengths - 1).unsqueeze(1), self.c["eosId"])
        idx = valid.view(-1).nonzero().squeeze(1)
        logp = F.log_softmax(logits.view(b * l, -1).index_select(0, idx).float(), -1)
        lp = logp.gather(1, targets.view(-1).index_select(0, idx).unsqueeze(1)).squeeze(1)
        return (-(1 - lp.exp()) ** gamma * lp).mean(), idx.numel()


def read_batches(path):
    with open(path, "rb") as f:
        data = f.read()
    (count,) = struct.unpack_from("<i", data, 0)
    off, out = 4, []
    for _ in range(count):
        b, l = struct.unpack_from("<ii", data, off)
        off += 8
        ids = torch.frombuffer(bytearray(data[off : off + 4 * b * l]), dtype=torch.int32).view(b, l).long()
        off += 4 * b * l
        lengths = torch.frombuffer(bytearray(data[off : off + 4 * b]), dtype=torch.int32).long()
        off += 4 * b
        out.append((ids, lengths))
    return out


def main():
    config, batches_path, threads, warmup = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SentenceVAE(config)
    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=config.get("lr", 1e-3))
    batches = read_batches(batches_path)
    times, tokens, losses = [], [], []
    for i, (ids, lengths) in enumerate(batches):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss, n = model.loss(ids, lengths)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_value = loss.item()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
            tokens.append(n)
        losses.append(loss_value)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "seconds": times, "tokens": tokens, "losses": losses}))


if __name__ == "__main__":
    main()
