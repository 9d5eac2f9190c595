// Issue 13: every decode kernel (fp32, bf16, int8 weights) on every instruction-set path this
// CPU runs, against LibTorch's float32 linear over the same (dequantized) weights, for odd
// shapes and 1..16 activation rows (and 17/40: the tiles of 16 of longer inputs).
//
// Tolerances, per output element y = Σ_k w_k x_k + b (S = Σ_k |w_k x_k|, the scale of the
// rounding of any summation order):
// - float32: |y - ref| ≤ 1e-5·S + 1e-6 (both sum the same float32 products, in another order).
// - bfloat16: inputs and weights are bf16 in both; the kernel sums in float32 and rounds the
//   result to bf16 once: |y - ref| ≤ 2^-8·|ref| + 1e-5·S + 1e-6.
// - int8 (weight-only, per block of 32): the reference uses the dequantized weights ŵ with the
//   float32 activations; the kernel quantizes activations per block (error ≤ max|x_blk|/254 per
//   element), so |y - ref| ≤ Σ_blk (max|x_blk|/254)·Σ_{k∈blk}|ŵ_k| + 1e-5·S + 1e-6.
import test from 'ava';

import { Tensor } from '../../lib/index.js';
import { callAsync, callSync } from '../../lib/native/call.js';
import type { NativeKernelPath } from '../../lib/native/contract.js';
import { addon } from '../../lib/native/loader.js';

const kernels = () => addon().kernels;
// 'off' is LibTorch itself (int8: the dequantized weights): checked against the same reference.
const paths = (): NativeKernelPath[] => callSync(() => kernels().paths()).supported;

// Deterministic values in [-1, 1) (a small LCG: no dependence on LibTorch's generator).
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

// float32 -> bf16 bit pattern (round to nearest even) and back.
function toBf16(x: Float32Array): Uint16Array {
  const u = new Uint32Array(x.buffer.slice(0));
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (u[i]! + 0x7fff + ((u[i]! >>> 16) & 1)) >>> 16;
  return out;
}
function fromBf16(b: Uint16Array): Float32Array {
  const u = new Uint32Array(b.length);
  for (let i = 0; i < b.length; i++) u[i] = b[i]! << 16;
  return new Float32Array(u.buffer);
}

async function run(x: Tensor, w: Tensor, scale: Tensor | null, bias: Tensor | null, path: NativeKernelPath): Promise<Float32Array> {
  const y = new Tensor(await callAsync(() => kernels().linear(x.native, w.native, scale?.native ?? null, bias?.native ?? null, path)));
  try {
    const f = y.dtype === 'float32' ? y : await y.to('cpu', 'float32');
    const data = (await f.toArray()) as Float32Array;
    if (f !== y) f.dispose();
    return data;
  } finally {
    y.dispose();
  }
}

const shapes: Array<[number, number]> = [[1, 1], [7, 5], [3, 31], [33, 32], [65, 100], [130, 257], [40, 768]];
const batches = [1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 40];

for (const kind of ['float32', 'bfloat16', 'int8'] as const) {
  test(`${kind} kernels match LibTorch on every path, odd shapes, 1..16 rows`, async (t) => {
    const available = paths();
    t.true(available.includes('portable'));
    let checked = 0;
    for (const [out, inn] of shapes) {
      const wf = values(out * inn, out * 31 + inn);
      const bias = values(out, 7 + out);
      // The weights each kernel really multiplies, as float32 (the reference's weights).
      let wRef: Float32Array;
      let w: Tensor;
      let scale: Tensor | null = null;
      if (kind === 'float32') {
        wRef = wf;
        w = await Tensor.from(wf, { shape: [out, inn] });
      } else if (kind === 'bfloat16') {
        const b = toBf16(wf);
        wRef = fromBf16(b);
        w = await Tensor.from(b, { shape: [out, inn], dtype: 'bfloat16' });
      } else {
        const f = await Tensor.from(wf, { shape: [out, inn] });
        const q = await callAsync(() => kernels().quantize(f.native));
        f.dispose();
        w = new Tensor(q.weight);
        scale = new Tensor(q.scale);
        const dq = new Tensor(await callAsync(() => kernels().dequantize(q.weight, q.scale)));
        wRef = (await dq.toArray()) as Float32Array;
        dq.dispose();
      }
      const biasT = kind === 'bfloat16' ? await Tensor.from(toBf16(bias), { shape: [out], dtype: 'bfloat16' }) : await Tensor.from(bias, { shape: [out] });
      const biasRef = kind === 'bfloat16' ? fromBf16(toBf16(bias)) : bias;
      for (const nb of batches) {
        let xf = values(nb * inn, nb * 1000 + inn);
        if (kind === 'bfloat16') xf = fromBf16(toBf16(xf));
        const x = kind === 'bfloat16' ? await Tensor.from(toBf16(xf), { shape: [nb, inn], dtype: 'bfloat16' }) : await Tensor.from(xf, { shape: [nb, inn] });
        const withBias = nb % 2 === 1;
        for (const path of available) {
          const y = await run(x, w, scale, withBias ? biasT : null, path);
          t.is(y.length, nb * out);
          for (let j = 0; j < nb; j++) {
            for (let r = 0; r < out; r++) {
              let ref = withBias ? biasRef[r]! : 0;
              let s = 0;
              let actErr = 0;
              for (let k0 = 0; k0 < inn; k0 += 32) {
                let amax = 0;
                let wabs = 0;
                for (let k = k0; k < Math.min(inn, k0 + 32); k++) {
                  const p = wRef[r * inn + k]! * xf[j * inn + k]!;
                  ref += p;
                  s += Math.abs(p);
                  amax = Math.max(amax, Math.abs(xf[j * inn + k]!));
                  wabs += Math.abs(wRef[r * inn + k]!);
                }
                actErr += (amax / 254) * wabs;
              }
              const bound = 1e-5 * s + 1e-6 + (kind === 'bfloat16' ? Math.abs(ref) / 256 : 0) + (kind === 'int8' ? actErr * 1.0001 : 0);
              const err = Math.abs(y[j * out + r]! - ref);
              if (!(err <= bound)) {
                t.fail(`${kind} ${path} [${out}x${inn}] rows ${nb} at (${j}, ${r}): ${y[j * out + r]} vs ${ref} (|Δ| ${err} > ${bound})`);
                return;
              }
            }
          }
          checked++;
        }
        x.dispose();
      }
      w.dispose();
      scale?.dispose();
      biasT.dispose();
    }
    t.is(checked, shapes.length * batches.length * available.length);
  });
}

test('the path can be forced and reported; an unknown path is an InvalidArgumentError', async (t) => {
  const p = callSync(() => kernels().paths());
  t.true(p.supported.includes(p.detected));
  try {
    callSync(() => kernels().setPath('portable'));
    t.is(callSync(() => kernels().paths()).active, 'portable');
    t.throws(() => callSync(() => kernels().setPath('sse9' as NativeKernelPath)), { name: 'InvalidArgumentError', message: /Expected one of off, portable, avx2, avx512/ });
  } finally {
    callSync(() => kernels().setPath('auto'));
  }
  t.is(callSync(() => kernels().paths()).active, p.detected);
});

test('int8 weights without matching scales are a ShapeError', async (t) => {
  const f = await Tensor.from(values(8 * 40, 3), { shape: [8, 40] });
  const q = await callAsync(() => kernels().quantize(f.native));
  const x = await Tensor.from(values(40, 4), { shape: [1, 40] });
  const bad = await Tensor.from(new Float32Array(8), { shape: [8, 1] });
  await t.throwsAsync(callAsync(() => kernels().linear(x.native, q.weight, bad.native, null, 'portable')), { name: 'ShapeError' });
  await t.throwsAsync(callAsync(() => kernels().linear(x.native, q.weight, null, null, 'portable')), { name: 'ShapeError' });
  for (const n of [f.native, q.weight, q.scale, x.native, bad.native]) n.dispose();
});
