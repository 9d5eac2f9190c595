/**
 * The documented CPU recipe: a SentenceVAE trained on the Brown corpus for a fixed wall time
 * with the small (4,096-id) BPE vocabulary, then evaluated on held-out sentences (never trained
 * on) by sentence length. Results and curves go to docs/ (see docs/svae-brown.md).
 *
 *   npm run build:ts && node dist/examples/train-svae-brown.js [--minutes 15] [--out runs/svae-brown]
 *     [--hidden 256] [--layers 1] [--ffn 1024] [--batch 64] [--lr 2e-3] [--warmup-seconds 30]
 *     [--min-lr-factor 0.05] [--ema 0.999] [--eval-every 150] [--docs docs]
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';

import { SentenceDataset, SentenceVAE, Trainer, info, type Evaluation } from '../lib/index.js';
import { packageRoot } from '../lib/native/loader.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const minutes = Number(arg('minutes', '15'));
const out = arg('out', 'runs/svae-brown');
const docs = arg('docs', join(packageRoot, 'docs'));

// The model: hidden 256, one block each side, FFN 1024, no dropout (a 15-minute run sees the
// data about once: there is nothing to regularize yet), the 4k vocabulary. Flags override the
// shape and the recipe, for documented short sweeps (docs/svae-brown.md).
const num = (name: string, fallback: number) => Number(arg(name, String(fallback)));
const model = { hidden: num('hidden', 256), heads: num('heads', 4), layers: num('layers', 1), ffn: num('ffn', 1024), dropout: 0 };
const recipe = {
  batchSize: num('batch', 64), baseLr: num('lr', 2e-3), warmupSeconds: num('warmup-seconds', 30), minLrFactor: num('min-lr-factor', 0.05),
  emaDecay: num('ema', 0.999), validationFraction: 0.02, seed: 1,
};

const vae = await SentenceVAE.create({ preset: 'small', config: model, tokenizer: 'gpt2-opt-4k', seed: recipe.seed });
const tok = vae.tokenizer;
const split = { validationFraction: recipe.validationFraction };
const train = await SentenceDataset.fromCorpus('brown', tok, { ...split, split: 'train' });
const held = await SentenceDataset.fromCorpus('brown', tok, { ...split, split: 'validation' });
const heldSample = await SentenceDataset.fromCorpus('brown', tok, { ...split, split: 'validation', limit: 300 });
console.log(`model ${JSON.stringify(model)}: ${vae.parameterCount.toLocaleString('en-US')} parameters`);
console.log(`Brown: ${train.size.toLocaleString('en-US')} training pieces (${train.tokens.toLocaleString('en-US')} tokens), ${held.size} held-out pieces`);

// The schedule follows the wall-clock budget (lib/train/timedSchedule.ts): warm-up, then a cosine
// that reaches its floor exactly when the budget is spent, where the Trainer stops. No throughput
// probe: a probe sized the old cosine, and a 15-minute run stopped after 684 s when the speed drifted.
const budgetSeconds = minutes * 60;
const trainer = new Trainer(vae, {
  out, seed: recipe.seed, emaDecay: recipe.emaDecay, logEvery: 20,
  // Evaluate about 12 times: by time, from a rough step estimate would be circular; every 150 updates.
  evalEvery: num('eval-every', 150),
  schedule: { baseLr: recipe.baseLr, budgetSeconds, warmupSeconds: Math.min(recipe.warmupSeconds, budgetSeconds / 10), minLrFactor: recipe.minLrFactor },
});
const result = await trainer.run({ batches: train.batches({ batchSize: recipe.batchSize, seed: recipe.seed }), validation: heldSample });
console.log(`stopped (${result.stopped}) at step ${result.step} after ${result.elapsedSeconds.toFixed(0)} s`);

// Final evaluation of the exported (EMA) model on every held-out piece, by content length.
const final = await SentenceVAE.load(join(out, 'final'));
const pieces = Array.from({ length: held.size }, (_, i) => held.get(i));
const buckets: Array<[string, (n: number) => boolean]> = [
  ['≤ 5 tokens', (n) => n <= 5], ['6–10', (n) => n >= 6 && n <= 10], ['11–20', (n) => n >= 11 && n <= 20], ['> 20', (n) => n > 20], ['all', () => true],
];
const byLength: Record<string, Evaluation> = {};
for (const [name, test] of buckets) {
  const subset = pieces.filter((p) => test(p.length - 1));
  if (subset.length > 0) byLength[name] = await final.evaluate(subset);
}
const rows = Object.entries(byLength).map(([k, e]) =>
  `| ${k} | ${e.sentences} | ${(100 * e.tokenAccuracy).toFixed(1)}% | ${e.ppl.toFixed(2)} | ${(100 * e.exactMatch).toFixed(1)}% |`);
const samples = pieces.slice(0, 8);
const rebuilt = await final.tokenizer.decodeBatch((await final.decodeIds(await final.encodeToTensor(await tok.decodeBatch(samples)))).ids);
const originals = await tok.decodeBatch(samples);
const report = {
  date: new Date().toISOString(), machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}`, threads: info().threads,
  command: `node dist/examples/train-svae-brown.js ${process.argv.slice(2).join(' ')}`, model, recipe, steps: result.step, elapsedSeconds: result.elapsedSeconds,
  byLength, samples: originals.map((o, i) => ({ input: o, output: rebuilt[i] })),
};
await mkdir(docs, { recursive: true });
await writeFile(join(docs, 'svae-brown.json'), `${JSON.stringify(report, null, 2)}\n`);
if (existsSync(join(out, 'curves.svg'))) await copyFile(join(out, 'curves.svg'), join(docs, 'svae-brown-curves.svg'));
console.log('\n| held-out pieces | n | token accuracy (teacher-forced) | PPL | greedy exact match |\n| --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
console.log('\nsamples (held-out input -> reconstruction):');
originals.forEach((o, i) => console.log(`  ${JSON.stringify(o)}\n    -> ${JSON.stringify(rebuilt[i])}`));
final.dispose();
vae.dispose();
