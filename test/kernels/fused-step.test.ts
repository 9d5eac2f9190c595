// Issue 13: the fused CPU decode step of the OPT layers (native/kernels/decode_step.cc) against
// the LibTorch cached path (kernels.setFused(false): the same kernels for every linear, LibTorch
// for layer norm, residuals, attention and the cache copy) and against the full uncached forward,
// on the tiny OPT fixtures (pre-LN, and post-LN with project_in/out; hidden 64, 2 layers) and a
// tiny SLLM (whose LLM is an OPT stack), in float32, bfloat16 and int8, at batch 1, 3 (rows of
// different lengths: left padding, so the padding mask is in play) and 8, over 10 steps with a
// growing cache. Batch 1's 4-token prompt is itself a fused step (4 new rows: causal mask among
// new tokens); batch 3 and 8 prefill through LibTorch (> 16 rows) and then decode fused.
//
// Tolerances (max |Δlogit| relative to the logits' standard deviation σ of the reference step):
// - float32: 1e-4 σ. Both paths compute in float32; only summation order differs (layer-norm
//   moments in double here, attention dot products in a different order).
// - int8: 0.1 σ. The linears are the same kernels on both paths and most steps agree to ~1e-6 σ;
//   but an activation that lands on a quantization boundary after a float32 reordering moves one
//   int8 step (1/127 of its block's range) and that shows in the logits (measured: 0.041 σ once,
//   post-LN batch 8).
// - bfloat16: 0.1 σ (the bar of bfloat16 vs float32 in models.test.ts). The fused step rounds to
//   bfloat16 wherever the LibTorch path stores a tensor (each linear's output, layer norms,
//   attention scores and probabilities, residual sums, the cache), but its float32 sums run in
//   another order (layer-norm moments in double, attention dot products), so single values land
//   one bfloat16 ulp apart (2^-8 relative) and that propagates; measured 0.035-0.062 σ (the
//   logits are ~±16, where one bfloat16 ulp is 0.125).
// Greedy tokens: equal in float32 and int8; in bfloat16 a near-tie may flip a row's token (then
// that row is compared up to the flip only).
import { join } from 'node:path';

import test from 'ava';

import { OPT, SentenceVAE, SLLM } from '../../lib/index.js';
import { callAsync, callSync } from '../../lib/native/call.js';
import { addon, packageRoot } from '../../lib/native/loader.js';

const fixtures = { 'pre-LN': join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln'), 'post-LN': join(packageRoot, 'test', 'fixtures', 'opt', 'post-ln-proj') };
const setFused = (on: boolean) => callSync(() => addon().kernels.setFused(on));
type DType = 'float32' | 'bfloat16' | 'int8';
const bounds: Record<DType, number> = { float32: 1e-4, int8: 0.1, bfloat16: 0.1 };
const batches: Record<number, number[][]> = {
  1: [[2, 100, 200, 300]],
  3: [[2, 100, 200, 300], [2, 5, 17], [2, 1000, 2000, 3000, 40, 50]],
  8: Array.from({ length: 8 }, (_, r) => [2, ...Array.from({ length: 1 + (r % 4) }, (_, i) => 11 + 97 * r + 31 * i)]),
};

const std = (a: Float32Array) => {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  return Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
};
// Worst over steps and rows of max |a - b| / σ(b's row), a row compared only while both paths
// fed it the same tokens (after a greedy near-tie flips a token the contexts differ).
function worstRelative(a: Float32Array[], b: Float32Array[], vocab: number, ta?: Int32Array[] | number[][], tb?: Int32Array[] | number[][]) {
  let worst = 0;
  const rows = b[0]!.length / vocab;
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < b.length; s++) {
      if (s > 0 && ta && tb && ta[s - 1]![r] !== tb[s - 1]![r]) break;
      const ra = a[s]!.subarray(r * vocab, (r + 1) * vocab), rb = b[s]!.subarray(r * vocab, (r + 1) * vocab);
      const sigma = std(rb);
      for (let i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs(ra[i]! - rb[i]!) / sigma);
    }
  }
  return worst;
}

async function decode(dir: string, dtype: DType, inputIds: number[][], fused: boolean) {
  setFused(fused);
  try {
    await using opt = await OPT.load(dir, { dtype });
    const out = await opt.decodeSteps({ inputIds }, { maxNewTokens: 10, withLogits: true, ignoreEos: true });
    return { ...out, vocab: opt.config.vocabSize };
  } finally {
    setFused(true);
  }
}

test.serial('the kernels\' parallel loops run on every configured thread (the addon is built with OpenMP)', async (t) => {
  const { configured, used } = await callAsync(() => addon().kernels.parallelThreads());
  t.log(`configured ${configured}, used ${used}`);
  t.is(used, configured);
});

test.serial('setFused switches the fused step and fused() reports it; a non-boolean is refused', (t) => {
  t.true(callSync(() => addon().kernels.fused()));
  setFused(false);
  t.false(callSync(() => addon().kernels.fused()));
  setFused(true);
  t.true(callSync(() => addon().kernels.fused()));
  t.throws(() => callSync(() => addon().kernels.setFused(1 as unknown as boolean)), { message: /Expected a boolean for on but received 1 of type number/ });
});

for (const [name, dir] of Object.entries(fixtures)) {
  for (const dtype of ['float32', 'int8', 'bfloat16'] as const) {
    test.serial(`${name} OPT ${dtype}: the fused step matches the LibTorch cached step at batch 1, 3 and 8 over 10 steps`, async (t) => {
      for (const [b, inputIds] of Object.entries(batches)) {
        const ref = await decode(dir, dtype, inputIds, false);
        const got = await decode(dir, dtype, inputIds, true);
        const worst = worstRelative(got.logits, ref.logits, ref.vocab, got.tokens, ref.tokens);
        const a = got.tokens.flatMap((x) => Array.from(x)), r = ref.tokens.flatMap((x) => Array.from(x));
        const agree = a.filter((x, i) => x === r[i]).length / r.length;
        t.log(`batch ${b}: worst |Δlogit| / σ = ${worst.toExponential(2)}, tokens equal ${(agree * 100).toFixed(0)}%`);
        t.true(worst <= bounds[dtype], `batch ${b}: ${worst}`);
        // bfloat16: no token assertion of its own — a row is compared up to and including the
        // step where its greedy token first differs, so a flip passes only where the LibTorch
        // path's top two logits were within 2 × the bound (a near-tie).
        if (dtype !== 'bfloat16') t.deepEqual(a, r, `batch ${b}`);
      }
    });
  }

  test.serial(`${name} OPT float32: fused decode steps reproduce the full uncached forward (teacher-forced)`, async (t) => {
    const prompt = batches[1]![0]!;
    const got = await decode(dir, 'float32', [prompt], true);
    const sequence = [...prompt, ...got.tokens.map((x) => x[0]!)];
    await using opt = await OPT.load(dir);
    const full = (await opt.forward({ inputIds: [sequence] })).logits;
    const v = got.vocab;
    // Step s's logits predict position prompt.length + s from position prompt.length - 1 + s.
    const expected = got.logits.map((_, s) => full.slice((prompt.length - 1 + s) * v, (prompt.length + s) * v));
    const worst = worstRelative(got.logits, expected, v);
    t.log(`worst |Δlogit| / σ vs the uncached forward: ${worst.toExponential(2)}`);
    t.true(worst <= bounds.float32, `${worst}`);
  });
}

test.serial('tiny SLLM: the fused step generates the same greedy sentences as the LibTorch step (float32, int8)', async (t) => {
  for (const dtype of ['float32', 'int8'] as const) {
    const texts: string[][] = [];
    for (const fused of [false, true]) {
      setFused(fused);
      try {
        await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, seed: 3, dtype });
        const events = [];
        for await (const e of sllm.generate(['The jury said it was fine.', 'It rained.'], { maxSentences: 3, ignoreStop: true, sentenceTokens: [6, 4, 5] })) {
          events.push(Array.from(e.ids).join(' '));
        }
        texts.push(events);
      } finally {
        setFused(true);
      }
    }
    t.true(texts[0]!.length > 0);
    t.deepEqual(texts[1], texts[0], dtype);
  }
});

test.serial('SentenceVAE decoder (pre- and post-LN, GELU and ReLU): the fused step matches the LibTorch step (float32 1e-4 σ, bfloat16 0.1 σ)', async (t) => {
  const texts = ['The jury said it was fine.', 'It rained all day in the county.', 'Yes.'];
  for (const [norm, activation] of [['pre', 'gelu'], ['post', 'relu']] as const) {
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const run = async (fused: boolean) => {
        setFused(fused);
        try {
          await using vae = await SentenceVAE.create({ preset: 'tiny', config: { dropout: 0, norm, activation, layers: 2 }, seed: 5, dtype });
          const omega = await vae.encodeToTensor(texts);
          const { ids, logits } = await vae.decodeIds(omega, { maxTokens: 10, withLogits: true });
          return { ids: ids.map((r) => Array.from(r)), logits: (await logits!.toArray()) as Float32Array, steps: logits!.shape[1]!, vocab: vae.config.vocabSize };
        } finally {
          setFused(true);
        }
      };
      const ref = await run(false);
      const got = await run(true);
      // Per row and step, while the rows' tokens agree (logits [n, steps, V]).
      let worst = 0;
      ref.ids.forEach((row, b) => {
        for (let s = 0; s < ref.steps; s++) {
          if (s > 0 && got.ids[b]![s - 1] !== row[s - 1]) break;
          const a = got.logits.subarray((b * ref.steps + s) * ref.vocab, (b * ref.steps + s + 1) * ref.vocab);
          const r = ref.logits.subarray((b * ref.steps + s) * ref.vocab, (b * ref.steps + s + 1) * ref.vocab);
          const finite = Array.from(r).filter(Number.isFinite);
          if (finite.length < 2) continue;
          const sigma = std(Float32Array.from(finite));
          for (let i = 0; i < ref.vocab; i++) if (Number.isFinite(r[i]!)) worst = Math.max(worst, Math.abs(a[i]! - r[i]!) / sigma);
        }
      });
      t.log(`${norm}-LN ${activation} ${dtype}: worst |Δlogit| / σ = ${worst.toExponential(2)}`);
      t.true(worst <= bounds[dtype], `${norm}-LN ${dtype}: ${worst}`);
      if (dtype === 'float32') t.deepEqual(got.ids, ref.ids);
    }
  }
});
