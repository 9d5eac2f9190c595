/**
 * The documented CPU experiment (docs/sllm-brown.md): the same small OPT-shaped model trained
 * on Brown paragraphs for equal wall time (1) token by token, as an ordinary OPT, and (2)
 * grafted with a SentenceVAE and trained as an SLLM — then both scored on the same held-out
 * tokens (sentences 2..S of each paragraph and its end, given sentence 1), with the SLLM's stop
 * accuracy and generation samples from both.
 *
 *   npm run build:ts && node dist/examples/sllm-vs-opt-brown.js [--minutes 10] [--out runs/sllm-brown]
 *     [--only opt,sllm,sllm-ce] [--report-only]   (--report-only: evaluate and report existing runs)
 *     [--stop-weight 1] [--stop-balanced]          (the SLLM's stop loss, see docs/sllm.md)
 *     [--schedule time|constant]                   (time: warm-up + cosine over the wall-clock budget)
 *     [--held 300]                                 (held-out paragraphs; fewer for a smoke run)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';

import { info, MetricsLog, OPT, type Series, writeComparison, type OptConfig, ParagraphDataset, SLLM, type Tensor, Tokenizer, Trainer, type TrainableModel, TokenBatches, type BatchSource } from '../lib/index.js';
import { packageRoot } from '../lib/native/loader.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const minutes = Number(arg('minutes', '10'));
const out = arg('out', 'runs/sllm-brown');
const docs = arg('docs', join(packageRoot, 'docs'));
const only = arg('only', 'opt,sllm,sllm-ce').split(',');
const stopLoss = { weight: Number(arg('stop-weight', '1')), balanced: process.argv.includes('--stop-balanced') };
const scheduleKind = arg('schedule', 'time');
// The repetition controls the samples use (docs/generation.md): no repeated 4-gram anywhere in
// prompt + completion, and (SLLM) no sentence repeated verbatim. The same for both models.
const controls = { noRepeatNgramSize: 4 };
const sllmControls = { ...controls, noRepeatSentences: true };

// One OPT shape for both: hidden 256, 4 layers, 4 heads, FFN 1024, the 4k vocabulary. The SLLM
// adds a SentenceVAE of the same hidden size (1 encoder + 1 decoder block, FFN 1024) and a stop head.
const tok = await Tokenizer.builtin('gpt2-opt-4k');
const shape: OptConfig = {
  vocabSize: 4104, hidden: 256, ffn: 1024, layers: 4, heads: 4, maxPositions: 1024, wordEmbedProjDim: 256,
  preNorm: true, finalNorm: true, padId: tok.padId, bosId: tok.bosId, eosId: tok.eosId,
};
const svaeShape = { hidden: 256, heads: 4, layers: 1, ffn: 1024, dropout: 0, maxTokens: 64 };
const recipe = { batchSize: 8, baseLr: 1e-3, warmupSteps: 200, emaDecay: 0.999, validationFraction: 0.02, maxSentences: 16, seed: 1, heldOut: Number(arg('held', '300')) };

const corpus = { validationFraction: recipe.validationFraction, maxTokens: svaeShape.maxTokens, maxSentences: recipe.maxSentences };
const train = await ParagraphDataset.fromCorpus('brown', tok, { ...corpus, split: 'train' });
const held = await ParagraphDataset.fromCorpus('brown', tok, { ...corpus, split: 'validation', limit: recipe.heldOut });
console.log(`Brown paragraphs (2..${recipe.maxSentences} sentences): ${train.size} training, ${held.size} held-out`);

/** Seconds per update of `model` on these batches (a few updates at lr 0, then the weights restored). */
async function probe<B>(model: TrainableModel<B, unknown>, batches: BatchSource<B>, gamma: number): Promise<number> {
  const saved = new Map<string, Tensor>();
  for (const [k, t] of model.namedTensors()) {
    saved.set(k, await t.to('cpu'));
    t.dispose();
  }
  await model.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, emaDecay: 0, amp: 'off' }, 0);
  const t0 = performance.now();
  for (let i = 0; i < 12; i++) {
    await model.accumulate(batches.next(), { gamma, scale: 1 });
    await model.applyStep({ lr: 0, clip: 1 });
  }
  const seconds = (performance.now() - t0) / 12000;
  await model.loadNamedTensors(saved);
  for (const t of saved.values()) t.dispose();
  return seconds;
}

interface RunSummary {
  name: string;
  parameters: number;
  steps: number;
  seconds: number;
  secondsPerStep: number;
  gamma: number;
  eval: Record<string, number>;
  samples: { prompt: string; truth: string; generated: string; plain: string }[];
}

const samplesFrom = Array.from({ length: 5 }, (_, i) => held.get(i * 7));
const prompts = await Promise.all(samplesFrom.map(async (p) => ({
  first: await tok.decode(p[0]!),
  rest: await tok.decodeBatch(p.slice(1)).then((s) => s.join('')),
})));

const reportOnly = process.argv.includes('--report-only');

async function run<B>(name: string, model: TrainableModel<B, ParagraphDataset> & { parameterCount: number }, batches: () => BatchSource<B>, gamma: number): Promise<number> {
  if (reportOnly) {
    const last = (await new MetricsLog(join(out, name, 'metrics.jsonl')).read()).filter((r) => r.type === 'step').at(-1)!;
    return (last.elapsedSeconds as number) / last.step;
  }
  const secondsPerStep = await probe(model, batches(), gamma);
  const steps = Math.floor((minutes * 60) / secondsPerStep);
  console.log(`${name}: ${model.parameterCount.toLocaleString('en-US')} parameters, ~${secondsPerStep.toFixed(3)} s/step (probe) -> ~${steps} steps in ${minutes} min`);
  // Wall time decides when each run stops, and the speed probe is too rough to size a cosine
  // (overshooting its period would raise the rate again): warm-up, then a constant rate, with
  // the EMA of the weights doing the averaging. The same schedule for both models.
  // 'time': warm-up, then a cosine that ends exactly at the budget (lib/train/timedSchedule.ts);
  // 'constant': the earlier runs' warm-up and constant rate. The same schedule for both models.
  const schedule = scheduleKind === 'time'
    ? { baseLr: recipe.baseLr, budgetSeconds: minutes * 60, warmupSeconds: Math.min(20, minutes * 6), minLrFactor: 0.05 }
    : { baseLr: recipe.baseLr, warmupSteps: recipe.warmupSteps, cosinePeriod: 1_000_000_000 };
  const trainer = new Trainer(model, {
    out: join(out, name), maxSteps: 1_000_000, maxSeconds: minutes * 60, seed: recipe.seed, emaDecay: recipe.emaDecay, gamma,
    evalEvery: Math.max(50, Math.floor(steps / 4)), logEvery: 20, progress: false, schedule,
  });
  const result = await trainer.run({ batches: batches(), validation: held });
  console.log(`${name}: stopped (${result.stopped}) at step ${result.step} after ${result.elapsedSeconds.toFixed(0)} s`);
  return secondsPerStep;
}

const summaries: RunSummary[] = [];
const paragraphBatches = () => train.batches({ batchSize: recipe.batchSize, seed: recipe.seed });

if (only.includes('opt')) {
  const opt = await OPT.create(shape, { tokenizer: tok, seed: recipe.seed });
  const sps = await run('opt', opt, () => new TokenBatches(paragraphBatches(), { bos: tok.bosId, eos: tok.eosId, pad: tok.padId }), 0);
  opt.dispose();
  const final = await OPT.load(join(out, 'opt', 'final'), { tokenizer: tok });
  const e = await final.evaluate(held);
  const samples = [];
  for (const p of prompts) {
    const [plain] = await final.generate(p.first, { maxNewTokens: 60 });
    const [generated] = await final.generate(p.first, { maxNewTokens: 60, ...controls });
    samples.push({ prompt: p.first, truth: p.rest, generated: generated!, plain: plain! });
  }
  const records = await new MetricsLog(join(out, 'opt', 'metrics.jsonl')).read();
  summaries.push({ name: 'OPT (token level)', parameters: final.parameterCount, steps: records.filter((r) => r.type === 'step').at(-1)?.step ?? 0, seconds: minutes * 60, secondsPerStep: sps, gamma: 0, eval: { ppl: e.ppl, contentPpl: e.contentPpl, tokens: e.tokens }, samples });
  final.dispose();
}

for (const variant of ['sllm', 'sllm-ce']) {
  if (!only.includes(variant)) continue;
  // The paper's loss is focal (γ = 2); 'sllm-ce' trains with γ = 0 (cross-entropy), the objective the PPL measures.
  const gamma = variant === 'sllm' ? 2 : 0;
  const sllm = await SLLM.create({ svae: { preset: 'small', ...svaeShape }, llm: { ...shape, maxPositions: 128 }, tokenizer: tok, seed: recipe.seed });
  sllm.setStopLoss(stopLoss);
  const sps = await run(variant, sllm, paragraphBatches, gamma);
  sllm.dispose();
  const final = await SLLM.load(join(out, variant, 'final'));
  const e = await final.evaluate(held);
  const samples = [];
  for (const p of prompts) {
    const plain = (await final.generateText(p.first, { maxSentences: 6, maxTokens: 60 }))[0]!;
    const generated = (await final.generateText(p.first, { maxSentences: 6, maxTokens: 60, ...sllmControls }))[0]!;
    samples.push({ prompt: p.first, truth: p.rest, generated, plain });
  }
  const records = await new MetricsLog(join(out, variant, 'metrics.jsonl')).read();
  summaries.push({
    name: `SLLM (sentence level, γ = ${gamma})`, parameters: final.parameterCount, steps: records.filter((r) => r.type === 'step').at(-1)?.step ?? 0,
    seconds: minutes * 60, secondsPerStep: sps, gamma,
    eval: {
      ppl: e.ppl, contentPpl: e.contentPpl, tokens: e.tokens, stopAccuracy: e.stopAccuracy, stopBaseRate: e.stopBaseRate,
      stopPrecision: e.stopPrecision, stopRecall: e.stopRecall, tokenAccuracy: e.tokenAccuracy,
    }, samples,
  });
  final.dispose();
}

// Curves on one wall-time axis: held-out PPL (same tokens) and training loss of every run.
await mkdir(docs, { recursive: true }); // --docs may name a folder that does not exist yet
const colors: Record<string, string> = { opt: '#1f77b4', sllm: '#d62728', 'sllm-ce': '#2ca02c' };
const panels = { eval: [] as Series[], train: [] as Series[] };
for (const name of only) {
  const records = await new MetricsLog(join(out, name, 'metrics.jsonl')).read().catch(() => []);
  const steps = records.filter((r) => r.type === 'step');
  const at = (step: number) => steps.find((r) => r.step >= step)?.elapsedSeconds as number | undefined ?? steps.at(-1)?.elapsedSeconds as number;
  const label = summaries.find((x) => x.name.startsWith(name === 'opt' ? 'OPT' : name === 'sllm' ? 'SLLM (sentence level, γ = 2' : 'SLLM (sentence level, γ = 0'))?.name ?? name;
  panels.eval.push({ label, color: colors[name]!, points: records.filter((r) => r.type === 'eval').map((r) => [at(r.step), r.ppl as number]) });
  panels.train.push({ label, color: colors[name]!, points: steps.map((r) => [r.elapsedSeconds as number, r.ppl as number]) });
}
await writeComparison(join(docs, 'sllm-brown-curves.svg'), `OPT vs SLLM on Brown, equal wall time (${minutes} min each)`, [
  { title: 'held-out PPL, same tokens (EMA weights)', series: panels.eval, log: true, xLabel: 'seconds' },
  { title: 'training PPL of the objective\'s targets (window means)', series: panels.train, log: true, xLabel: 'seconds' },
]);

const report = {
  date: new Date().toISOString(), machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}`, threads: info().threads,
  libtorch: info().libtorchVersion, minutes, recipe, schedule: scheduleKind, stopLoss, controls: { opt: controls, sllm: sllmControls },
  shape, svaeShape, heldOutParagraphs: held.size, runs: summaries,
};
await writeFile(join(docs, 'sllm-brown.json'), `${JSON.stringify(report, null, 2)}\n`);
const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`);
console.log('\n| model | parameters | updates | held-out PPL (same tokens) | content-token PPL | stop accuracy | base rate | stop precision | stop recall |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const s of summaries) {
  console.log(`| ${s.name} | ${s.parameters.toLocaleString('en-US')} | ${s.steps} | ${s.eval.ppl!.toFixed(2)} | ${s.eval.contentPpl!.toFixed(2)} | ${pct(s.eval.stopAccuracy)} | ${pct(s.eval.stopBaseRate)} | ${pct(s.eval.stopPrecision)} | ${pct(s.eval.stopRecall)} |`);
}
for (const s of summaries) {
  console.log(`\n${s.name} greedy samples (without controls / with ${JSON.stringify(s.name.startsWith('OPT') ? controls : sllmControls)}):`);
  for (const x of s.samples) {
    console.log(`  prompt: ${JSON.stringify(x.prompt)}\n  truth:  ${JSON.stringify(x.truth)}\n  plain:  ${JSON.stringify(x.plain)}\n  model:  ${JSON.stringify(x.generated)}`);
  }
}
