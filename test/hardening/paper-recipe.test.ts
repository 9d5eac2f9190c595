// Issue 15 item 12: `recipe: 'paper'` (TS) and `--recipe paper` (CLI) produce exactly the paper's
// settings; the Eq. 5 loss reduction sums focal terms per sentence.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { learningRate, paperLearningRate, recipeShape, SentenceVAE, SLLM, Trainer } from '../../lib/index.js';
import { planTrainVae } from '../../lib/cli/trainVae.js';
import { sllmTrainingPlan } from '../../lib/cli/trainSllm.js';
import { batchOf } from '../helpers/training.js';

const out = () => mkdtempSync(join(tmpdir(), 'svae-recipe-'));
const paperSchedule = (baseLr: number) => ({ baseLr, warmupSteps: 5000, warmupStartFactor: 1e-3, cosinePeriod: 20000 });
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

test("SentenceVAE.create({ recipe: 'paper' }) builds post-LN blocks; explicit config wins", async (t) => {
  t.deepEqual(recipeShape('paper'), { norm: 'post' });
  t.deepEqual(recipeShape('default'), {});
  await using paper = await SentenceVAE.create({ preset: 'tiny', recipe: 'paper' });
  t.is(paper.config.norm, 'post');
  await using plain = await SentenceVAE.create({ preset: 'tiny' });
  t.is(plain.config.norm, 'pre');
  await using pinned = await SentenceVAE.create({ preset: 'tiny', recipe: 'paper', config: { norm: 'pre' } });
  t.is(pinned.config.norm, 'pre');
  await using sllm = await SLLM.create({ svae: 'tiny', recipe: 'paper' });
  t.is(sllm.config.svae.norm, 'post');
});

test("Trainer recipe 'paper' for a SentenceVAE: LR 1e-7 × global batch, 5K warm-up from 1e-3, cosine 20K, Eq. 5 loss, 300K steps", async (t) => {
  await using vae = await SentenceVAE.create({ preset: 'tiny', recipe: 'paper' });
  const o = new Trainer(vae, { out: out(), recipe: 'paper' }).options;
  t.deepEqual(o.schedule, paperSchedule(128e-7), 'one card of 128 sentences');
  t.like(o, { maxSteps: 300_000, lossReduction: 'sentence', weightDecay: 0.01, clip: 1, gamma: 2, emaDecay: 0.9998, amp: 'off', recipe: 'paper' });
  t.true(close(new Trainer(vae, { out: out(), recipe: 'paper', globalBatch: 128 * 8 }).options.schedule.baseLr, 1.024e-4), '8 cards');
  t.true(close(new Trainer(vae, { out: out(), recipe: 'paper', accumulation: 4 }).options.schedule.baseLr, 512e-7), 'accumulation counts');
  t.true(close(paperLearningRate('svae', 256), 256e-7));
  // The schedule it gives: 1e-3 × base at step 0, base at 5K, the cosine's bottom 20K later.
  const s = o.schedule;
  t.true(close(learningRate(0, s), 128e-10));
  t.true(close(learningRate(5000, s), 128e-7));
  t.true(close(learningRate(25000, s), 0));
  // Explicit options win over the recipe.
  const mine = new Trainer(vae, { out: out(), recipe: 'paper', maxSteps: 10, schedule: { baseLr: 1e-3 }, lossReduction: 'token', emaDecay: 0 }).options;
  t.like(mine, { maxSteps: 10, lossReduction: 'token', emaDecay: 0 });
  t.deepEqual(mine.schedule, { ...paperSchedule(1e-3) });
});

test("Trainer recipe 'paper' for an SLLM: LR 1e-6 × paragraphs, 1.6M steps; 'default' changes nothing", async (t) => {
  await using sllm = await SLLM.create({ svae: 'tiny' });
  const o = new Trainer(sllm, { out: out(), recipe: 'paper' }).options;
  t.deepEqual(o.schedule, paperSchedule(1e-6));
  t.like(o, { maxSteps: 1_600_000, lossReduction: 'sentence' });
  t.true(close(new Trainer(sllm, { out: out(), recipe: 'paper', globalBatch: 8 }).options.schedule.baseLr, 8e-6));
  const d = new Trainer(sllm, { out: out(), maxSteps: 5, schedule: { baseLr: 1e-4 } }).options;
  t.deepEqual(d.schedule, { baseLr: 1e-4 });
  t.like(d, { lossReduction: 'token', recipe: 'default', amp: 'off' });
});

test('CLI --recipe paper: train-vae and train-sllm plans carry the paper settings; flags win', async (t) => {
  const dir = out();
  const plan = await planTrainVae(['--recipe', 'paper', '--out', dir, '--preset', 'tiny']);
  t.like(plan.config, { recipe: 'paper', batchSize: 128, maxSteps: 300_000 });
  t.is(plan.model.recipe, 'paper');
  await using vae = await SentenceVAE.create({ ...plan.model, device: 'cpu' });
  t.is(vae.config.norm, 'post');
  const o = new Trainer(vae, plan.trainer).options;
  t.deepEqual(o.schedule, paperSchedule(128e-7));
  t.like(o, { maxSteps: 300_000, lossReduction: 'sentence' });

  const custom = await planTrainVae(['--recipe', 'paper', '--out', dir, '--batch-size', '32', '--lr', '5e-4', '--max-steps', '7']);
  const c = new Trainer(vae, custom.trainer).options;
  t.deepEqual(c.schedule, paperSchedule(5e-4));
  t.is(c.maxSteps, 7);
  t.is(custom.trainer.globalBatch, 32);

  const plain = await planTrainVae(['--out', dir]);
  t.deepEqual(plain.trainer.schedule, { baseLr: 1e-3, warmupSteps: 500, cosinePeriod: 10000 });
  t.is(plain.config.recipe, 'default');

  const s = sllmTrainingPlan({ recipe: 'paper' });
  t.is(s.batchSize, 1);
  await using sllm = await SLLM.create({ svae: 'tiny' });
  const so = new Trainer(sllm, s.trainer).options;
  t.deepEqual(so.schedule, paperSchedule(1e-6));
  t.like(so, { maxSteps: 1_600_000, lossReduction: 'sentence' });
  t.deepEqual(sllmTrainingPlan({}).trainer.schedule, { baseLr: 1e-4, warmupSteps: 500, cosinePeriod: 5000 });
});

test("lossReduction 'sentence' (Eq. 5) scales the gradient by target tokens per sentence; the reported loss stays per token", async (t) => {
  const texts = ['The jury said it was fine.', 'It was late, and the court was empty.', 'Nobody came.'];
  const norms: Record<string, number> = {};
  const losses: Record<string, number> = {};
  let tokens = 0;
  for (const lossReduction of ['token', 'sentence'] as const) {
    await using vae = await SentenceVAE.create({ preset: 'tiny', config: { dropout: 0 }, seed: 7 });
    await vae.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off', lossReduction }, 1);
    const r = await vae.accumulate(await batchOf(vae, texts), { gamma: 2, scale: 1 });
    losses[lossReduction] = r.loss;
    tokens = r.tokens;
    norms[lossReduction] = (await vae.applyStep({ lr: 0, clip: 0 })).gradNorm;
  }
  t.is(losses.sentence, losses.token, 'reported loss: the per-token mean either way');
  const ratio = norms.sentence! / norms.token!;
  t.true(Math.abs(ratio - tokens / texts.length) < 1e-4 * ratio, `gradient ratio ${ratio} = tokens per sentence ${tokens / texts.length}`);
});

test("recipe 'paper' on a model it has no learning rate for asks for schedule.baseLr", async (t) => {
  const { OPT, Tokenizer } = await import('../../lib/index.js');
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  await using opt = await OPT.create(
    { vocabSize: 4104, hidden: 32, ffn: 64, layers: 1, heads: 2, maxPositions: 32, wordEmbedProjDim: 32, preNorm: true, finalNorm: true, padId: 1, bosId: 2, eosId: 2 },
    { tokenizer },
  );
  const { InvalidArgumentError } = await import('../../lib/index.js');
  t.throws(() => new Trainer(opt, { out: out(), maxSteps: 1, recipe: 'paper' }), { instanceOf: InvalidArgumentError, message: /kind 'opt'.*schedule\.baseLr/ });
  t.is(new Trainer(opt, { out: out(), maxSteps: 1, recipe: 'paper', schedule: { baseLr: 1e-4 } }).options.lossReduction, 'sentence');
});
