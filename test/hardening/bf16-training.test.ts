// Issue 15 item 3: a model whose weights are 16-bit trains through float32 master weights,
// AdamW moments and EMA: updates smaller than half a bf16 step accumulate instead of vanishing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { SentenceDataset, SentenceVAE, Tensor, Trainer, type TrainingSnapshot } from '../../lib/index.js';
import { brownSentences } from '../helpers/sentences.js';
import { batchOf, weightsOf } from '../helpers/training.js';

const setup = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amp: 'off' as const };
const texts = ['The jury said it was fine.', 'It was late, and the court was empty.', 'Nobody came.', 'He wrote a letter to the mayor.'];

const tiny = (seed: number) => SentenceVAE.create({ preset: 'tiny', config: { dropout: 0, hidden: 64, heads: 2, ffn: 128 }, dtype: 'bfloat16', seed });

async function asFloats(t: Tensor): Promise<Float32Array> {
  const f = t.dtype === 'float32' ? t : await t.to('cpu', 'float32');
  try {
    return (await f.toArray()) as Float32Array;
  } finally {
    if (f !== t) f.dispose();
  }
}

async function weight(vae: SentenceVAE, name: string): Promise<Float32Array> {
  const all = vae.namedTensors();
  try {
    return await asFloats(all.get(name)!);
  } finally {
    for (const t of all.values()) t.dispose();
  }
}

const disposeSnapshot = (s: TrainingSnapshot) => {
  for (const t of s.tensors.values()) t.dispose();
};

test('the EMA of 16-bit weights is float32: an update bf16 would round away (decay 0.998) is kept', async (t) => {
  await using vae = await tiny(1);
  await vae.configureTraining({ ...setup, emaDecay: 0.998 }, 1);
  const name = 'encoder.layer_norm.weight'; // ones
  const before = await vae.trainingSnapshot();
  const ema = before.tensors.get(`ema.${name}`)!;
  t.is(ema.dtype, 'float32', 'EMA kept in float32');
  t.is(before.tensors.get(`optim.exp_avg.${name}`)!.dtype, 'float32', 'AdamW moments in float32');
  t.is(before.tensors.get(`optim.master.${name}`)!.dtype, 'float32', 'float32 master weights');
  // EMA at 1.5 for weights at 1, 5000 EMA updates done (decay capped at 0.998): the next update is
  // 1.5 - 0.002 × 0.5 = 1.499, below half a bf16 step at 1.5 (2^-8).
  const size = ema.shape[0]!;
  const tensors = new Map(before.tensors);
  tensors.set(`ema.${name}`, await Tensor.from(new Float32Array(size).fill(1.5)));
  tensors.set('training.counters', await Tensor.from(BigInt64Array.from([5000n, 0n])));
  await vae.restoreTraining({ ...before, tensors });
  tensors.get(`ema.${name}`)!.dispose();
  tensors.get('training.counters')!.dispose();
  disposeSnapshot(before);

  await vae.applyStep({ lr: 0, clip: 1 }); // no gradients: weights stay, the EMA moves
  const after = await vae.trainingSnapshot();
  const values = await asFloats(after.tensors.get(`ema.${name}`)!);
  disposeSnapshot(after);
  for (const v of values) t.true(Math.abs(v - 1.499) < 1e-6, `EMA element ${v} should be 1.499`);
});

test('AdamW updates below half a bf16 step accumulate in the float32 master weights', async (t) => {
  await using vae = await tiny(2);
  await vae.configureTraining({ ...setup, emaDecay: 0 }, 1);
  const name = 'decoder.layers.0.ffn.fc1.weight';
  const initial = await weight(vae, name);
  const batch = await batchOf(vae, texts);
  // lr 2e-5: each AdamW step moves a weight by ≤ ~2e-5·|m/√v|, under half a bf16 step (1.2e-4)
  // for |w| ≥ 2^-5; 40 steps move it ~8e-4, several bf16 steps.
  for (let step = 0; step < 40; step++) {
    await vae.accumulate(batch, { gamma: 2, scale: 1 });
    await vae.applyStep({ lr: 2e-5, clip: 0 });
  }
  const final = await weight(vae, name);
  let large = 0;
  let changed = 0;
  for (let i = 0; i < initial.length; i++) {
    if (Math.abs(initial[i]!) < 2 ** -5) continue;
    large++;
    if (final[i] !== initial[i]) changed++;
  }
  t.true(large > 100, 'enough weights of magnitude ≥ 2^-5');
  t.true(changed / large > 0.5, `${changed} of ${large} weights ≥ 2^-5 moved (each single update is below bf16 resolution)`);
});

test('training a bfloat16 SentenceVAE works: the loss falls, no step is skipped', async (t) => {
  await using vae = await tiny(3);
  await vae.configureTraining({ ...setup, emaDecay: 0.99 }, 1);
  const batch = await batchOf(vae, texts);
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    losses.push((await vae.accumulate(batch, { gamma: 2, scale: 1 })).loss);
    const applied = await vae.applyStep({ lr: 3e-3, clip: 1 });
    t.false(applied.skipped);
  }
  t.true(losses.every(Number.isFinite));
  t.true(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
  const snapshot = await vae.trainingSnapshot();
  for (const [k, v] of snapshot.tensors) if (/^(ema|optim)\./.test(k)) t.is(v.dtype, 'float32', k);
  disposeSnapshot(snapshot);
});

test('the Trainer runs a bfloat16 model (EMA evaluation, exports) and a resumed run equals an uninterrupted one bitwise (masters checkpointed)', async (t) => {
  const setupRun = async (seed: number) => {
    const vae = await SentenceVAE.create({ preset: 'tiny', config: { dropout: 0.1, hidden: 64, heads: 2, ffn: 128 }, dtype: 'bfloat16', seed });
    const sentences = await brownSentences(vae.tokenizer, 48, 20);
    return { vae, train: await SentenceDataset.fromParagraphs(sentences.slice(0, 40), vae.tokenizer), held: sentences.slice(40) };
  };
  const options = { progress: false, schedule: { baseLr: 3e-3, warmupSteps: 2, cosinePeriod: 50 }, maxSteps: 8, evalEvery: 4, checkpointEvery: 100, seed: 9, accumulation: 2, emaDecay: 0.99 };

  const a = await setupRun(5);
  const resultA = await new Trainer(a.vae, { ...options, out: mkdtempSync(join(tmpdir(), 'svae-bf16-')) })
    .run({ batches: a.train.batches({ batchSize: 8, seed: 4 }), validation: a.held });
  t.true(Number.isFinite(resultA.lastEval!.loss));
  t.is(resultA.skippedSteps, 0);
  const uninterrupted = await weightsOf(a.vae);
  a.vae.dispose();

  const dir = mkdtempSync(join(tmpdir(), 'svae-bf16-'));
  const b = await setupRun(5);
  const controller = new AbortController();
  const first = await new Trainer(b.vae, { ...options, out: dir })
    .run({ batches: b.train.batches({ batchSize: 8, seed: 4 }), validation: b.held, signal: controller.signal, onStep: (r) => r.step === 3 && controller.abort() });
  t.is(first.step, 3);
  b.vae.dispose();
  const c = await setupRun(77);
  await new Trainer(c.vae, { ...options, out: dir, resume: true }).run({ batches: c.train.batches({ batchSize: 8, seed: 4 }), validation: c.held });
  t.deepEqual(await weightsOf(c.vae), uninterrupted, 'bitwise equal bf16 weights');
  c.vae.dispose();
});
