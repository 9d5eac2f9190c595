// Issue 13: the int8 × int8 kernels (activations quantized once per call to int8 per block of
// 32 with a float scale, as llama.cpp's q8_0 × q8_0; integer dot products per block scaled by
// w_scale · x_scale) on every path this CPU runs: portable (the reference loop), avx2
// (maddubs/madd, sign trick) and avx512 (VNNI vpdpbusd on zmm, activations offset to u8 by +128
// and 128·Σw subtracted per block, packed per pair of blocks; tiles of 4 × ≤2, 2 × ≤8 and, for
// more than 8 activation rows of a wide layer, 4 × 4 rows × columns).
//
// Shapes chosen for the avx512 kernel's edges: `in` a multiple of 64 (whole block pairs), an
// odd number of whole blocks (the last pair is one block), a short last block alone or after a
// whole one, `in` < 32; odd output sizes (the 4- and 2-row tiles' remainders, thread chunks);
// 1, 3, 8, 16 activation rows (plus 2, 5 and 9: the 4 × 2 / 2 × 8 tile boundaries and a
// group of 8 plus one) and 17 (two calls of at most 16 rows); 16 and 17 rows of the 2080-wide
// layer run the 4 × 4 tiles.
//
// Tolerances (per output y = Σ_k ŵ_k x_k + b, ŵ the dequantized weights, x the float32
// activations; S = Σ_k |ŵ_k x_k|):
// 1. Against LibTorch's float32 linear over ŵ (path 'off'):
//      |y − ref| ≤ Σ_blk (max_blk|x| / 254) · Σ_{k∈blk} |ŵ_k| + 1e-5·S + 1e-6.
//    Why: an activation block is quantized as x̂ = s·round(x/s), s = max_blk|x|/127, so
//    |x_k − x̂_k| ≤ s/2 = max_blk|x|/254 and the block's product error is at most that times
//    Σ|ŵ_k|. The integer dot products are exact (|q| ≤ 127, int32 lanes); what remains is
//    float32 rounding of the block sums: each kernel's float sum is at most blocks/2 + 5
//    additions deep (< 160 here, ≤ 2^-24 each, so < 1e-5·S) — LibTorch's own sum is of the
//    same order.
// 2. Against the portable path (the same quantized activations and the same exact integers,
//    summed in another float order): |y − y_portable| ≤ 1e-5·S' + 1e-6 with
//    S' = Σ_k |ŵ_k|·(|x_k| + max_blk|x|/254) ≥ Σ_k |ŵ_k x̂_k|. Much tighter than 1 for the
//    small shapes, where one wrong quantum (a lost 128·Σw correction, a lane read from the next
//    row) shows.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import test from 'ava';

import { OPT, SLLM, Tensor } from '../../lib/index.js';
import { callAsync, callSync } from '../../lib/native/call.js';
import type { NativeKernelPath } from '../../lib/native/contract.js';
import { addon, packageRoot } from '../../lib/native/loader.js';

const kernels = () => addon().kernels;
const simdPaths = (): NativeKernelPath[] => callSync(() => kernels().paths()).supported.filter((p) => p !== 'off');

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

// Activations with the quantizer's edge cases: a whole zero block (scale 0), values at exactly
// ±max of their block (q = ±127: u8 operands 255 and 1), and a wide range of block magnitudes.
function activations(nb: number, inn: number, seed: number): Float32Array {
  const x = values(nb * inn, seed);
  for (let j = 0; j < nb; j++) {
    for (let k0 = 0; k0 < inn; k0 += 32) {
      const blk = (k0 / 32) % 4;
      for (let k = k0; k < Math.min(inn, k0 + 32); k++) {
        const i = j * inn + k;
        if (blk === 1 && j % 2 === 0) x[i] = 0;
        else if (blk === 2) x[i] = x[i]! * 100;
        else if (blk === 3) x[i] = x[i]! / 1000;
      }
      if (k0 + 1 < inn) x[j * inn + k0 + 1] = j % 3 === 0 ? -1 : 1; // a block maximum (blocks 0 and 3; 2 are ×100)
    }
  }
  return x;
}

async function linear(x: Tensor, w: Tensor, scale: Tensor, bias: Tensor | null, path: NativeKernelPath): Promise<Float32Array> {
  const y = new Tensor(await callAsync(() => kernels().linear(x.native, w.native, scale.native, bias?.native ?? null, path)));
  try {
    return (await y.toArray()) as Float32Array;
  } finally {
    y.dispose();
  }
}

const shapes: Array<[number, number]> = [[1, 1], [3, 31], [7, 32], [5, 33], [13, 63], [9, 64], [33, 65], [11, 96], [65, 100], [31, 160], [129, 257], [37, 2080]];
const rowCounts = [1, 2, 3, 5, 8, 9, 16, 17];

test('int8 × int8 kernels on every path: vs LibTorch over the dequantized weights, and vs the portable path', async (t) => {
  const paths = simdPaths();
  t.true(paths.includes('portable'));
  t.log(`paths on this CPU: ${paths.join(', ')}`);
  let checked = 0;
  let worstRef = 0; // worst |Δ| / bound 1, over all paths
  let worstPortable = 0; // worst |Δ| / bound 2
  for (const [out, inn] of shapes) {
    const f = await Tensor.from(values(out * inn, out * 17 + inn).map((v, i) => (i % 97 === 0 ? -1 : v)), { shape: [out, inn] });
    const q = await callAsync(() => kernels().quantize(f.native));
    f.dispose();
    const w = new Tensor(q.weight);
    const scale = new Tensor(q.scale);
    const dq = new Tensor(await callAsync(() => kernels().dequantize(q.weight, q.scale)));
    const wRef = (await dq.toArray()) as Float32Array;
    dq.dispose();
    const biasData = values(out, 5 + out);
    const bias = await Tensor.from(biasData, { shape: [out] });
    for (const nb of rowCounts) {
      const xf = activations(nb, inn, nb * 7919 + inn);
      const x = await Tensor.from(xf, { shape: [nb, inn] });
      const withBias = nb % 2 === 1;
      const ref = await linear(x, w, scale, withBias ? bias : null, 'off');
      const results = new Map<NativeKernelPath, Float32Array>();
      for (const path of paths) results.set(path, await linear(x, w, scale, withBias ? bias : null, path));
      const portable = results.get('portable')!;
      for (const [path, y] of results) {
        t.is(y.length, nb * out);
        for (let j = 0; j < nb; j++) {
          for (let r = 0; r < out; r++) {
            let s = 0;
            let s2 = 0;
            let actErr = 0;
            let exact = withBias ? biasData[r]! : 0;
            for (let k0 = 0; k0 < inn; k0 += 32) {
              const k1 = Math.min(inn, k0 + 32);
              let amax = 0;
              for (let k = k0; k < k1; k++) amax = Math.max(amax, Math.abs(xf[j * inn + k]!));
              for (let k = k0; k < k1; k++) {
                const wk = wRef[r * inn + k]!, xk = xf[j * inn + k]!;
                exact += wk * xk;
                s += Math.abs(wk * xk);
                s2 += Math.abs(wk) * (Math.abs(xk) + amax / 254);
                actErr += (Math.abs(wk) * amax) / 254;
              }
            }
            const i = j * out + r;
            // 1: against LibTorch (its float32 result; our float64 `exact` bounds its own rounding).
            const bound1 = actErr * 1.0001 + 1e-5 * s + 1e-6;
            const e1 = Math.abs(y[i]! - ref[i]!);
            const e1exact = Math.abs(y[i]! - exact);
            worstRef = Math.max(worstRef, e1 / bound1);
            if (!(e1 <= bound1 && e1exact <= bound1)) {
              t.fail(`${path} [${out}x${inn}] rows ${nb} at (${j}, ${r}): ${y[i]} vs LibTorch ${ref[i]} / exact ${exact} (bound ${bound1})`);
              return;
            }
            // 2: against the portable path.
            const bound2 = 1e-5 * s2 + 1e-6;
            const e2 = Math.abs(y[i]! - portable[i]!);
            worstPortable = Math.max(worstPortable, e2 / bound2);
            if (!(e2 <= bound2)) {
              t.fail(`${path} [${out}x${inn}] rows ${nb} at (${j}, ${r}): ${y[i]} vs portable ${portable[i]} (|Δ| ${e2} > ${bound2})`);
              return;
            }
          }
        }
        checked++;
      }
      x.dispose();
    }
    w.dispose();
    scale.dispose();
    bias.dispose();
  }
  t.log(`worst |Δ| / bound: vs LibTorch ${worstRef.toFixed(3)}, vs portable ${worstPortable.toFixed(3)}`);
  t.is(checked, shapes.length * rowCounts.length * paths.length);
});

test('int8 at the range edge: every weight and activation quantized to ±127 in a 2048-wide row', async (t) => {
  // The extreme u8 operands of the offset trick (x = −127 → 1, x = 127 → 255) against w = ±127:
  // each block's integer is ±32·127², each output ±2048 up to float32 rounding of the scales
  // ((1/127)² per block, 64 blocks): within 1e-5 relative.
  const inn = 2048, out = 5;
  const wf = new Float32Array(out * inn).map((_, i) => (Math.floor(i / inn) % 2 === 0 ? 1 : -1));
  const xf = new Float32Array(2 * inn).map((_, i) => (i < inn ? 1 : -1));
  const f = await Tensor.from(wf, { shape: [out, inn] });
  const q = await callAsync(() => kernels().quantize(f.native));
  f.dispose();
  const w = new Tensor(q.weight);
  const scale = new Tensor(q.scale);
  const x = await Tensor.from(xf, { shape: [2, inn] });
  for (const path of simdPaths()) {
    const y = await linear(x, w, scale, null, path);
    const want = Array.from({ length: 2 * out }, (_, i) => (Math.floor(i / out) === 0 ? 1 : -1) * (i % out % 2 === 0 ? 1 : -1) * inn);
    const worst = Math.max(...Array.from(y, (v, i) => Math.abs(v - want[i]!) / inn));
    t.true(worst <= 1e-5, `${path}: ${Array.from(y).join(', ')} vs ${want.join(', ')}`);
  }
  for (const n of [w, scale, x]) n.dispose();
});

test('SENTENCEVAE_KERNELS forces the kernel path of a new process', (t) => {
  for (const path of simdPaths()) {
    const script = `
      import { addon } from ${JSON.stringify(join(packageRoot, 'dist', 'lib', 'native', 'loader.js'))};
      const k = addon().kernels;
      process.stdout.write(JSON.stringify(k.paths()));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, SENTENCEVAE_KERNELS: path }, encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    t.is(JSON.parse(r.stdout).active, path);
  }
});

// Whole models in int8 on each path (forced with setPath, process-wide): the tiny OPT fixture
// teacher-forced over float32's greedy continuation (16 positions: the 16-row tile) and a tiny
// random SLLM's greedy sentences. Bounds as test/kernels/models.test.ts states for int8 (worst
// |Δlogit| ≤ 0.2 σ, ≥ 14/16 argmax agreement, SLLM token agreement ≥ 0.6); across paths the
// int8 logits differ only by float summation order: ≤ 1e-3 σ.
const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
const setPath = (p: NativeKernelPath | 'auto') => callSync(() => kernels().setPath(p));
const std = (a: Float32Array) => {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  return Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
};
const argmax = (r: Float32Array) => r.reduce((best, x, i) => (x > r[best]! ? i : best), 0);

test.serial('int8 OPT (tiny fixture) on every path: argmax agreement with float32, and the paths agree with each other', async (t) => {
  const prompt = [2, 100, 200, 300];
  let sequence: number[];
  let a: Float32Array;
  {
    await using f32 = await OPT.load(fixture);
    const g = await f32.decodeSteps({ inputIds: [prompt] }, { maxNewTokens: 12, ignoreEos: true });
    sequence = [...prompt, ...g.tokens.map((x) => x[0]!)];
    a = (await f32.forward({ inputIds: [sequence] })).logits;
  }
  const v = a.length / sequence.length;
  const perPath = new Map<NativeKernelPath, Float32Array>();
  try {
    for (const path of simdPaths()) {
      setPath(path);
      await using q = await OPT.load(fixture, { dtype: 'int8' });
      const b = (await q.forward({ inputIds: [sequence] })).logits;
      perPath.set(path, b);
      let agree = 0;
      let worst = 0;
      for (let p = 0; p < sequence.length; p++) {
        const ra = a.subarray(p * v, (p + 1) * v), rb = b.subarray(p * v, (p + 1) * v);
        if (argmax(ra) === argmax(rb)) agree++;
        worst = Math.max(worst, ra.reduce((m, x, i) => Math.max(m, Math.abs(x - rb[i]!)), 0) / std(ra));
      }
      t.log(`int8 ${path}: argmax agreement with float32 ${agree}/${sequence.length}, worst |Δlogit| / σ = ${worst.toFixed(4)}`);
      t.true(agree >= 14, `${path}: agreement ${agree}/${sequence.length}`);
      t.true(worst <= 0.2, `${path}: worst |Δlogit| / σ = ${worst}`);
    }
  } finally {
    setPath('auto');
  }
  const portable = perPath.get('portable')!;
  for (const [path, b] of perPath) {
    let worst = 0;
    for (let p = 0; p < sequence.length; p++) {
      const ra = portable.subarray(p * v, (p + 1) * v), rb = b.subarray(p * v, (p + 1) * v);
      worst = Math.max(worst, ra.reduce((m, x, i) => Math.max(m, Math.abs(x - rb[i]!)), 0) / std(ra));
    }
    t.log(`int8 ${path} vs int8 portable: worst |Δlogit| / σ = ${worst.toExponential(2)}`);
    t.true(worst <= 1e-3, `${path} vs portable: ${worst}`);
  }
});

test.serial('int8 SLLM (tiny, random) on every path: greedy sentences vs float32, identical across paths', async (t) => {
  const generate = async (dtype: 'float32' | 'int8') => {
    await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, seed: 3, dtype });
    const ids: number[] = [];
    for await (const e of sllm.generate(['The jury said it was fine.'], { maxSentences: 3, ignoreStop: true, sentenceTokens: [6, 4, 5] })) ids.push(...e.ids);
    return ids;
  };
  const ref = await generate('float32');
  const perPath = new Map<NativeKernelPath, number[]>();
  try {
    for (const path of simdPaths()) {
      setPath(path);
      const got = await generate('int8');
      perPath.set(path, got);
      const agreement = got.filter((x, i) => x === ref[i]).length / ref.length;
      t.log(`int8 ${path}: token agreement with float32 ${agreement.toFixed(2)} (${ref.length} tokens)`);
      t.true(agreement >= 0.6, `${path}: ${agreement}`);
    }
  } finally {
    setPath('auto');
  }
  for (const [path, ids] of perPath) t.deepEqual(ids, perPath.get('portable'), path);
});
