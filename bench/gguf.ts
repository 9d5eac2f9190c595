/**
 * A GGUF writer for the peer benchmark: llama.cpp's `gpt2` architecture (pre-LN, learned
 * positions, tied output head, GELU — OPT's cost at OPT's shapes) with random weights in f32,
 * f16 or q8_0, so node-llama-cpp runs exactly the shape our OPT runs. Format: ggml's
 * docs/gguf.md (version 3: "GGUF", version, tensor count, key/value count, key/values, tensor
 * infos, padding to `general.alignment`, tensor data each aligned); tensor names from llama.cpp's
 * gguf-py (token_embd, position_embd, blk.N.attn_qkv, ...). The vocabulary is synthetic: the 256
 * byte-level symbols of GPT-2 first (llama.cpp needs a newline token), then unique fillers; the
 * bench feeds token ids directly, so no text is ever tokenized.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

import type { OptConfig } from '../lib/models/optConfig.js';

export type GgufType = 'f32' | 'f16' | 'q8_0';
const ggmlType: Record<GgufType, number> = { f32: 0, f16: 1, q8_0: 8 };
const fileType: Record<GgufType, number> = { f32: 0, f16: 1, q8_0: 7 }; // llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_Q8_0
const ALIGN = 32;

// GGUF metadata value types.
const U32 = 4, I32 = 5, F32 = 6, STRING = 8, ARRAY = 9;

class Bytes {
  parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
}

type Value = { type: 'u32'; v: number } | { type: 'f32'; v: number } | { type: 'str'; v: string } | { type: 'strs'; v: string[] } | { type: 'i32s'; v: number[] };

function writeKv(out: Bytes, key: string, value: Value): void {
  out.str(key);
  switch (value.type) {
    case 'u32': out.u32(U32); out.u32(value.v); break;
    case 'f32': out.u32(F32); out.f32(value.v); break;
    case 'str': out.u32(STRING); out.str(value.v); break;
    case 'strs': out.u32(ARRAY); out.u32(STRING); out.u64(value.v.length); for (const s of value.v) out.str(s); break;
    case 'i32s': out.u32(ARRAY); out.u32(I32); out.u64(value.v.length); for (const n of value.v) out.i32(n); break;
  }
}

/** GPT-2's byte-level alphabet: the printable symbol each byte becomes. */
function byteSymbols(): string[] {
  const bs: number[] = [];
  for (let c = 0x21; c <= 0x7e; c++) bs.push(c);
  for (let c = 0xa1; c <= 0xac; c++) bs.push(c);
  for (let c = 0xae; c <= 0xff; c++) bs.push(c);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i]!)));
  return out;
}

interface TensorSpec {
  name: string;
  dims: number[]; // ggml order: dims[0] is the contiguous one
  kind: 'matrix' | 'ones' | 'zeros';
}

function tensors(c: OptConfig): TensorSpec[] {
  const h = c.hidden, f = c.ffn;
  const t: TensorSpec[] = [
    { name: 'token_embd.weight', dims: [h, c.vocabSize], kind: 'matrix' },
    { name: 'position_embd.weight', dims: [h, c.maxPositions], kind: 'matrix' },
    { name: 'output_norm.weight', dims: [h], kind: 'ones' },
    { name: 'output_norm.bias', dims: [h], kind: 'zeros' },
  ];
  for (let i = 0; i < c.layers; i++) {
    const p = `blk.${i}.`;
    t.push(
      { name: `${p}attn_norm.weight`, dims: [h], kind: 'ones' }, { name: `${p}attn_norm.bias`, dims: [h], kind: 'zeros' },
      { name: `${p}attn_qkv.weight`, dims: [h, 3 * h], kind: 'matrix' }, { name: `${p}attn_qkv.bias`, dims: [3 * h], kind: 'zeros' },
      { name: `${p}attn_output.weight`, dims: [h, h], kind: 'matrix' }, { name: `${p}attn_output.bias`, dims: [h], kind: 'zeros' },
      { name: `${p}ffn_norm.weight`, dims: [h], kind: 'ones' }, { name: `${p}ffn_norm.bias`, dims: [h], kind: 'zeros' },
      { name: `${p}ffn_up.weight`, dims: [h, f], kind: 'matrix' }, { name: `${p}ffn_up.bias`, dims: [f], kind: 'zeros' },
      { name: `${p}ffn_down.weight`, dims: [f, h], kind: 'matrix' }, { name: `${p}ffn_down.bias`, dims: [h], kind: 'zeros' },
    );
  }
  return t;
}

function f16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign; // tiny: zero (never hit by the values written here)
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | Math.round(mant / 8192);
}

// Deterministic small values in [-0.035, 0.035] (≈ N(0, 0.02) in spread): xorshift.
function randomChunk(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296 - 0.5) * 0.07;
  }
  return out;
}

/** Bytes of one tensor's data in `type` (1-d tensors stay f32, as llama.cpp's converters write them). */
function encode(spec: TensorSpec, type: GgufType, pattern: Float32Array): { type: number; bytes: (write: (b: Buffer) => void) => void; size: number } {
  const n = spec.dims.reduce((a, b) => a * b, 1);
  const t = spec.kind === 'matrix' ? type : 'f32';
  if (t === 'f32') {
    return {
      type: ggmlType.f32, size: 4 * n,
      bytes: (write) => {
        const chunk = Buffer.alloc(Math.min(n, 1 << 20) * 4);
        for (let done = 0; done < n;) {
          const m = Math.min(n - done, chunk.length / 4);
          for (let i = 0; i < m; i++) chunk.writeFloatLE(spec.kind === 'ones' ? 1 : spec.kind === 'zeros' ? 0 : pattern[(done + i) % pattern.length]!, 4 * i);
          write(chunk.subarray(0, 4 * m));
          done += m;
        }
      },
    };
  }
  if (t === 'f16') {
    const block = Buffer.alloc(pattern.length * 2);
    pattern.forEach((v, i) => block.writeUInt16LE(f16(v), 2 * i));
    return {
      type: ggmlType.f16, size: 2 * n,
      bytes: (write) => {
        for (let done = 0; done < n;) {
          const m = Math.min(n - done, pattern.length);
          write(block.subarray(0, 2 * m));
          done += m;
        }
      },
    };
  }
  // q8_0: blocks of 32 values: an f16 scale then 32 int8 (34 bytes). Needs dims[0] % 32 == 0.
  if (spec.dims[0]! % 32 !== 0) throw new Error(`q8_0 needs rows of a multiple of 32 values (${spec.name}: ${spec.dims[0]})`);
  const blocks = n / 32;
  const per = pattern.length / 32;
  const buf = Buffer.alloc(per * 34);
  for (let b = 0; b < per; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(pattern[32 * b + i]!));
    const d = amax / 127;
    buf.writeUInt16LE(f16(d), 34 * b);
    for (let i = 0; i < 32; i++) buf.writeInt8(d > 0 ? Math.round(pattern[32 * b + i]! / d) : 0, 34 * b + 2 + i);
  }
  return {
    type: ggmlType.q8_0, size: 34 * blocks,
    bytes: (write) => {
      for (let done = 0; done < blocks;) {
        const m = Math.min(blocks - done, per);
        write(buf.subarray(0, 34 * m));
        done += m;
      }
    },
  };
}

const pad = (n: number) => (ALIGN - (n % ALIGN)) % ALIGN;

/**
 * Writes `path` (atomically: a temporary file renamed into place) unless it exists; returns the
 * size in bytes of the tensor data (what one token reads, less the position table's unused rows).
 */
export function writeGpt2Gguf(path: string, c: OptConfig, type: GgufType): { path: string; bytes: number } {
  const specs = tensors(c);
  const pattern = randomChunk(1 << 16, 12345); // 64k values, repeated: speed does not depend on them
  const encoded = specs.map((s) => encode(s, type, pattern));
  if (existsSync(path)) return { path, bytes: encoded.reduce((a, e) => a + e.size, 0) };
  mkdirSync(dirname(path), { recursive: true });

  const head = new Bytes();
  head.push(Buffer.from('GGUF', 'ascii'));
  head.u32(3);
  head.u64(specs.length);
  const symbols = byteSymbols();
  const vocab = Array.from({ length: c.vocabSize }, (_, i) => (i < 256 ? symbols[i]! : i === c.vocabSize - 1 ? '<|endoftext|>' : `tok${i}`));
  const kv: Array<[string, Value]> = [
    ['general.architecture', { type: 'str', v: 'gpt2' }],
    ['general.name', { type: 'str', v: `sentencevae-peer-${c.hidden}x${c.layers}` }],
    ['general.alignment', { type: 'u32', v: ALIGN }],
    ['general.file_type', { type: 'u32', v: fileType[type] }],
    ['gpt2.context_length', { type: 'u32', v: c.maxPositions }],
    ['gpt2.embedding_length', { type: 'u32', v: c.hidden }],
    ['gpt2.feed_forward_length', { type: 'u32', v: c.ffn }],
    ['gpt2.block_count', { type: 'u32', v: c.layers }],
    ['gpt2.attention.head_count', { type: 'u32', v: c.heads }],
    ['gpt2.attention.layer_norm_epsilon', { type: 'f32', v: 1e-5 }],
    ['tokenizer.ggml.model', { type: 'str', v: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'str', v: 'gpt-2' }],
    ['tokenizer.ggml.tokens', { type: 'strs', v: vocab }],
    ['tokenizer.ggml.token_type', { type: 'i32s', v: vocab.map((_, i) => (i === c.vocabSize - 1 ? 3 : 1)) }],
    ['tokenizer.ggml.merges', { type: 'strs', v: [`${symbols[0x74]} ${symbols[0x68]}`] }], // "t h": llama.cpp requires the key
    ['tokenizer.ggml.bos_token_id', { type: 'u32', v: c.vocabSize - 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', v: c.vocabSize - 1 }],
  ];
  head.u64(kv.length);
  for (const [k, v] of kv) writeKv(head, k, v);
  let offset = 0;
  specs.forEach((s, i) => {
    head.str(s.name);
    head.u32(s.dims.length);
    for (const d of s.dims) head.u64(d);
    head.u32(encoded[i]!.type);
    head.u64(offset);
    offset += encoded[i]!.size + pad(encoded[i]!.size);
  });
  head.push(Buffer.alloc(pad(head.length)));

  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const write = (b: Buffer) => {
      for (let o = 0; o < b.length;) o += writeSync(fd, b, o, b.length - o);
    };
    for (const p of head.parts) write(p);
    for (const e of encoded) {
      e.bytes(write);
      write(Buffer.alloc(pad(e.size)));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (statSync(path).size !== head.length + offset) throw new Error(`GGUF size mismatch writing ${path}`);
  return { path, bytes: encoded.reduce((a, e) => a + e.size, 0) };
}
