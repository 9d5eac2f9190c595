/**
 * Why the SLLM's stop head does not learn, measured (docs/sllm.md, "The stop head"): the same
 * small SLLM as examples/sllm-vs-opt-brown.ts trained on Brown paragraphs for a fixed wall time
 * per variant of the stop loss, logging the stop loss against the decode loss during training and
 * the held-out stop accuracy / base rate / precision / recall at the end.
 *
 *   npm run build:ts && node dist/examples/stop-head-brown.js [--minutes 3] [--variants plain,balanced,w5,ce]
 *     [--held 300] [--json docs/stop-head-brown.json]
 *
 * Variants: plain (the paper's: focal γ = 2, mean over flags, weight 1), balanced (class-balanced
 * weights), w5 (weight 5), ce (γ = 0 for the whole loss), balanced-w5.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';

import { info, ParagraphDataset, SLLM, Tokenizer, timedLearningRate, type SllmStopLoss } from '../lib/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const minutes = Number(arg('minutes', '3'));
const variants = arg('variants', 'plain,balanced,w5').split(',');
const jsonOut = arg('json', '');
const hidden = Number(arg('hidden', '256'));

const settings: Record<string, { stop: SllmStopLoss; gamma: number }> = {
  plain: { stop: { weight: 1, balanced: false }, gamma: 2 },
  balanced: { stop: { weight: 1, balanced: true }, gamma: 2 },
  w5: { stop: { weight: 5, balanced: false }, gamma: 2 },
  'balanced-w5': { stop: { weight: 5, balanced: true }, gamma: 2 },
  ce: { stop: { weight: 1, balanced: false }, gamma: 0 },
};

const tok = await Tokenizer.builtin('gpt2-opt-4k');
const corpus = { validationFraction: 0.02, maxTokens: 64, maxSentences: 16 };
const train = await ParagraphDataset.fromCorpus('brown', tok, { ...corpus, split: 'train' });
const held = await ParagraphDataset.fromCorpus('brown', tok, { ...corpus, split: 'validation', limit: Number(arg('held', '300')) });
const results = [];
for (const name of variants) {
  const v = settings[name];
  if (!v) throw new Error(`unknown variant ${name} (${Object.keys(settings).join(', ')})`);
  const sllm = await SLLM.create({
    svae: { preset: 'small', hidden, heads: 4, layers: 1, ffn: 4 * hidden, dropout: 0, maxTokens: 64 },
    llm: { hidden, heads: 4, layers: 4, ffn: 4 * hidden, maxPositions: 128 }, tokenizer: tok, seed: 1,
  });
  sllm.setStopLoss(v.stop);
  await sllm.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, emaDecay: 0, amp: 'off' }, 1);
  const batches = train.batches({ batchSize: 8, seed: 1 });
  const budget = minutes * 60;
  const t0 = performance.now();
  const window = { loss: 0, stop: 0, n: 0 };
  const log: { step: number; seconds: number; loss: number; stopLoss: number; decodeLoss: number }[] = [];
  let step = 0;
  for (;;) {
    const seconds = (performance.now() - t0) / 1000;
    if (seconds >= budget) break;
    const r = await sllm.accumulate(batches.next(), { gamma: v.gamma, scale: 1 });
    await sllm.applyStep({ lr: timedLearningRate(seconds, { baseLr: 1e-3, budgetSeconds: budget, warmupSeconds: Math.min(20, budget / 10), minLrFactor: 0.05 }), clip: 1 });
    step++;
    window.loss += r.loss;
    window.stop += r.stopLoss;
    window.n++;
    if (step % 20 === 0) {
      const row = { step, seconds: Math.round(seconds), loss: window.loss / window.n, stopLoss: window.stop / window.n, decodeLoss: (window.loss - window.stop) / window.n };
      log.push(row);
      console.log(`${name} @${step} (${row.seconds} s): loss ${row.loss.toFixed(3)} = stop ${row.stopLoss.toFixed(4)} + decode ${row.decodeLoss.toFixed(3)}`);
      window.loss = window.stop = window.n = 0;
    }
  }
  const e = await sllm.evaluate(held, { gamma: v.gamma });
  const row = {
    variant: name, ...v, steps: step, ppl: e.ppl, stopAccuracy: e.stopAccuracy, stopBaseRate: e.stopBaseRate,
    stopPrecision: e.stopPrecision, stopRecall: e.stopRecall, stopConfusion: e.stopConfusion, log,
  };
  results.push(row);
  console.log(`${name}: ${step} updates; held-out PPL ${e.ppl.toFixed(1)}, stop accuracy ${(100 * e.stopAccuracy).toFixed(1)}% (base rate ${(100 * e.stopBaseRate).toFixed(1)}%), precision ${(100 * e.stopPrecision).toFixed(1)}%, recall ${(100 * e.stopRecall).toFixed(1)}% ${JSON.stringify(e.stopConfusion)}`);
  sllm.dispose();
}
if (jsonOut) {
  await writeFile(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}`, threads: info().threads, minutes, hidden, results }, null, 2)}\n`);
}
