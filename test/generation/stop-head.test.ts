// Issue 17: the stop head's loss weighting (SLLM.setStopLoss) against hand-derived values, and the
// stop metrics of SLLM.evaluate() (precision, recall, accuracy against the base rate).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { brownParagraphs, defaultStopLoss, InvalidArgumentError, padParagraphs, ParagraphDataset, SLLM, Trainer } from '../../lib/index.js';
import { testDevice } from '../helpers/device.js';

const tiny = { svae: { preset: 'tiny' as const, dropout: 0 }, llm: { layers: 2 }, device: testDevice, seed: 5 };
const paragraph = 'The jury met at noon. It said the vote was fine. Then it left.';

/** The stop loss of one paragraph's first k sentences, with γ = 0 (cross-entropy per flag). */
async function stopLoss(sllm: SLLM, k: number): Promise<number> {
  const pieces = (await sllm.pieces(paragraph)).slice(0, k);
  const batch = padParagraphs([pieces], { padId: sllm.config.svae.padId });
  return (await sllm.accumulate(batch, { gamma: 0, scale: 1 })).stopLoss;
}

test('stop loss weighting: weight scales it; balanced weighs each class half, as derived by hand', async (t) => {
  await using sllm = await SLLM.create(tiny);
  await sllm.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off' }, 1);
  t.true((await sllm.pieces(paragraph)).length >= 3);
  t.deepEqual(sllm.stopLoss, defaultStopLoss);
  // Plain mean (the paper's). Causality: h_i depends on sentences 0..i only, so the first k
  // sentences give the same h_0..h_{k-1} in every call (no update is applied in between).
  const l1 = await stopLoss(sllm, 1); // [stop at h0]
  const l2 = await stopLoss(sllm, 2); // [continue at h0, stop at h1]
  const l3 = await stopLoss(sllm, 3); // [continue at h0, continue at h1, stop at h2]
  // With two classes, -log p(continue) follows from -log p(stop) of the same h.
  const other = (ce: number) => -Math.log(1 - Math.exp(-ce));
  const stop0 = l1, cont0 = other(stop0);
  const stop1 = 2 * l2 - cont0, cont1 = other(stop1);
  const stop2 = 3 * l3 - cont0 - cont1;
  sllm.setStopLoss({ weight: 3 });
  t.true(Math.abs((await stopLoss(sllm, 3)) - 3 * l3) < 1e-5, 'weight 3: three times the plain mean');
  sllm.setStopLoss({ balanced: true });
  t.deepEqual(sllm.stopLoss, { weight: 1, balanced: true });
  // 3 flags, 1 stop: the stop weighs 3/2, each continuation 3/4 (mean weight 1).
  const balanced = 0.5 * stop2 + 0.25 * (cont0 + cont1);
  t.true(Math.abs((await stopLoss(sllm, 3)) - balanced) < 1e-4, `balanced ${balanced}`);
  t.true(Math.abs((await stopLoss(sllm, 2)) - l2) < 1e-5, 'one flag of each class: balanced = plain');
  sllm.setStopLoss({ weight: 0 });
  t.is(await stopLoss(sllm, 3), 0);
  t.throws(() => sllm.setStopLoss({ weight: -1 }), { instanceOf: InvalidArgumentError, message: /Expected number between 0 and 1000000 for weight but received -1 of type number/ });
  t.throws(() => sllm.setStopLoss({ balanced: 1 as unknown as boolean }), { instanceOf: InvalidArgumentError, message: /Expected boolean for balanced but received 1 of type number/ });
});

test('evaluate(): stop precision, recall and accuracy agree with the confusion counts and the base rate', async (t) => {
  await using sllm = await SLLM.create(tiny);
  const paragraphs = await brownParagraphs(12);
  const data = await ParagraphDataset.fromParagraphs(paragraphs, sllm.tokenizer, {});
  const e = await sllm.evaluate(data);
  const { tp, fp, fn, tn } = e.stopConfusion;
  const flags = tp + fp + fn + tn;
  let sentences = 0;
  for (let i = 0; i < data.size; i++) sentences += data.get(i).length;
  t.is(flags, sentences, 'one flag per sentence');
  t.is(tp + fn, data.size, 'one paragraph end per paragraph');
  t.true(Math.abs(e.stopAccuracy - (tp + tn) / flags) < 1e-12);
  t.true(Math.abs(e.stopBaseRate - Math.max(data.size, sentences - data.size) / sentences) < 1e-12);
  t.is(e.stopRecall, tp / (tp + fn));
  if (tp + fp > 0) t.is(e.stopPrecision, tp / (tp + fp));
  else t.true(Number.isNaN(e.stopPrecision));
});

test('the Trainer logs the stop metrics of an SLLM evaluation (metrics.jsonl)', async (t) => {
  await using sllm = await SLLM.create(tiny);
  const data = await ParagraphDataset.fromParagraphs(await brownParagraphs(6), sllm.tokenizer, {});
  const out = mkdtempSync(join(tmpdir(), 'svae-stop-metrics-'));
  await new Trainer(sllm, { out, maxSteps: 2, evalEvery: 2, progress: false, schedule: { baseLr: 1e-3, warmupSteps: 1 } })
    .run({ batches: data.batches({ batchSize: 3, seed: 1 }), validation: data });
  const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.type === 'eval');
  t.true(evals.length >= 1);
  for (const k of ['stopAccuracy', 'stopBaseRate', 'stopRecall']) t.is(typeof evals.at(-1)![k], 'number', k);
});
