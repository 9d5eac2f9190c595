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
 *     [--max-steps N]                              (stop each arm after N updates instead of on wall time;
 *                                                   the schedule then spans the N steps: see below)
 *     [--lr-opt 1e-3] [--lr-sllm 1e-3]             (each arm's peak learning rate; the SLLM value is used
 *                                                   by both SLLM arms, sllm and sllm-ce)
 *     [--svae-layers 1]                            (SentenceVAE depth of the SLLM arms: encoder and decoder
 *                                                   blocks each)
 *
 * --max-steps makes the arms step-matched (for tuning on a shared machine, where wall time is
 * noise): with --schedule time, the same shape over steps instead of seconds: warm-up over the
 * same fraction of the run (20 s of a 600 s budget = 1/30 of the N steps), then a cosine down to
 * 5% of the peak reached exactly at step N. The report's s/update is then the measured mean
 * update time (evaluation pauses left out), not the probe's.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';

import { info, MetricsLog, OPT, type Series, writeComparison, type OptConfig, ParagraphDataset, SLLM, type Tensor, Tokenizer, Trainer, type TrainableModel, TokenBatches, type BatchSource } from '../lib/index.js';
import { packageRoot } from '../lib/native/loader.js';
import { invalid } from '../lib/validate.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? '' : fallback;
};
/**
 * A positive numeric flag, checked: a typo such as `--lr-opt 2e3x` or a missing value is an
 * InvalidArgumentError before any training, not NaN in the schedule ten minutes later.
 */
const positiveArg = (name: string, fallback: string, integer = false): number => {
  const raw = arg(name, fallback); // '' for a flag given last, with no value
  const value = raw.trim() === '' ? raw : Number(raw);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    invalid(integer ? 'integer >= 1' : 'positive number', `--${name}`, Number.isNaN(value) ? raw : value); // show the typo itself
  }
  return value;
};
const minutes = positiveArg('minutes', '10');
/** Stop each arm after this many updates instead of on wall time (undefined: the wall-clock budget). */
const maxSteps = process.argv.includes('--max-steps') ? positiveArg('max-steps', '', true) : undefined;
const lrOpt = positiveArg('lr-opt', '1e-3');
const lrSllm = positiveArg('lr-sllm', '1e-3');
const svaeLayers = positiveArg('svae-layers', '1', true);
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
const svaeShape = { hidden: 256, heads: 4, layers: svaeLayers, ffn: 1024, dropout: 0, maxTokens: 64 };
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

// Paragraphs 0, 7, …, 28 (fewer when --held leaves fewer).
const samplesFrom = Array.from({ length: 5 }, (_, i) => i * 7).filter((i) => i < held.size).map((i) => held.get(i));
const prompts = await Promise.all(samplesFrom.map(async (p) => ({
  first: await tok.decode(p[0]!),
  rest: await tok.decodeBatch(p.slice(1)).then((s) => s.join('')),
})));

const reportOnly = process.argv.includes('--report-only');

/** Mean seconds per update from the gaps between updates, leaving out the ones that held an evaluation. */
function meanUpdateSeconds(gaps: number[]): number {
  const sorted = [...gaps].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const kept = gaps.filter((g) => g <= 5 * median);
  return kept.reduce((a, b) => a + b, 0) / Math.max(1, kept.length);
}

async function run<B>(name: string, model: TrainableModel<B, ParagraphDataset> & { parameterCount: number }, batches: () => BatchSource<B>, gamma: number, baseLr: number): Promise<number> {
  if (reportOnly) {
    const last = (await new MetricsLog(join(out, name, 'metrics.jsonl')).read()).filter((r) => r.type === 'step').at(-1)!;
    return (last.elapsedSeconds as number) / last.step;
  }
  // Step-matched runs need no probe: they report the measured update time instead.
  const secondsPerStep = maxSteps === undefined ? await probe(model, batches(), gamma) : NaN;
  const steps = maxSteps ?? Math.floor((minutes * 60) / secondsPerStep);
  console.log(maxSteps === undefined
    ? `${name}: ${model.parameterCount.toLocaleString('en-US')} parameters, ~${secondsPerStep.toFixed(3)} s/step (probe) -> ~${steps} steps in ${minutes} min, peak lr ${baseLr}`
    : `${name}: ${model.parameterCount.toLocaleString('en-US')} parameters, ${steps} steps (step-matched), peak lr ${baseLr}`);
  // 'time': warm-up, then a cosine that ends exactly at the budget (lib/train/timedSchedule.ts);
  // 'constant': the earlier runs' warm-up and constant rate. The same schedule for both models.
  // With --max-steps, 'time' becomes the same shape over steps: the warm-up takes the same
  // fraction of the run as its 20 s take of the 10-minute budget, and the cosine reaches its 5%
  // floor exactly at the last step (no wall-clock budget: contention cannot move the schedule).
  const warmupFraction = Math.min(20, minutes * 6) / (minutes * 60);
  const schedule = scheduleKind === 'time'
    ? maxSteps === undefined
      ? { baseLr, budgetSeconds: minutes * 60, warmupSeconds: Math.min(20, minutes * 6), minLrFactor: 0.05 }
      : { baseLr, warmupSteps: Math.round(warmupFraction * maxSteps), cosinePeriod: Math.max(1, maxSteps - Math.round(warmupFraction * maxSteps)), minLrFactor: 0.05 }
    : { baseLr, warmupSteps: recipe.warmupSteps, cosinePeriod: 1_000_000_000 };
  const trainer = new Trainer(model, {
    out: join(out, name), maxSteps: maxSteps ?? 1_000_000, maxSeconds: maxSteps === undefined ? minutes * 60 : Infinity, seed: recipe.seed, emaDecay: recipe.emaDecay, gamma,
    evalEvery: Math.max(50, Math.floor(steps / 4)), logEvery: 20, progress: false, schedule,
  });
  const gaps: number[] = [];
  let last = performance.now();
  const result = await trainer.run({
    batches: batches(), validation: held,
    onStep: () => {
      const now = performance.now();
      gaps.push((now - last) / 1000);
      last = now;
    },
  });
  const measured = meanUpdateSeconds(gaps.slice(1)); // the first gap holds the setup
  console.log(`${name}: stopped (${result.stopped}) at step ${result.step} after ${result.elapsedSeconds.toFixed(0)} s (${measured.toFixed(3)} s/update measured)`);
  return maxSteps === undefined ? secondsPerStep : measured;
}

/** The run's training seconds: the budget, or (step-matched) the time its last update ended. */
const runSeconds = (records: Record<string, unknown>[]): number =>
  maxSteps === undefined ? minutes * 60 : (records.filter((r) => r.type === 'step').at(-1)?.elapsedSeconds as number | undefined ?? 0);

/** Updates made: the last logged step, or (step-matched) exactly --max-steps (a run may end between two log lines). */
const runSteps = (records: Record<string, unknown>[]): number =>
  maxSteps ?? (records.filter((r) => r.type === 'step').at(-1)?.step as number | undefined ?? 0);

const summaries: RunSummary[] = [];
const paragraphBatches = () => train.batches({ batchSize: recipe.batchSize, seed: recipe.seed });

if (only.includes('opt')) {
  const opt = await OPT.create(shape, { tokenizer: tok, seed: recipe.seed });
  const sps = await run('opt', opt, () => new TokenBatches(paragraphBatches(), { bos: tok.bosId, eos: tok.eosId, pad: tok.padId }), 0, lrOpt);
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
  summaries.push({ name: 'OPT (token level)', parameters: final.parameterCount, steps: runSteps(records), seconds: runSeconds(records), secondsPerStep: sps, gamma: 0, eval: { ppl: e.ppl, contentPpl: e.contentPpl, tokens: e.tokens }, samples });
  final.dispose();
}

for (const variant of ['sllm', 'sllm-ce']) {
  if (!only.includes(variant)) continue;
  // The paper's loss is focal (γ = 2); 'sllm-ce' trains with γ = 0 (cross-entropy), the objective the PPL measures.
  const gamma = variant === 'sllm' ? 2 : 0;
  const sllm = await SLLM.create({ svae: { preset: 'small', ...svaeShape }, llm: { ...shape, maxPositions: 128 }, tokenizer: tok, seed: recipe.seed });
  sllm.setStopLoss(stopLoss);
  const sps = await run(variant, sllm, paragraphBatches, gamma, lrSllm);
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
    name: `SLLM (sentence level, γ = ${gamma})`, parameters: final.parameterCount, steps: runSteps(records),
    seconds: runSeconds(records), secondsPerStep: sps, gamma,
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
await writeComparison(join(docs, 'sllm-brown-curves.svg'), maxSteps === undefined ? `OPT vs SLLM on Brown, equal wall time (${minutes} min each)` : `OPT vs SLLM on Brown, step-matched (${maxSteps} updates each)`, [
  { title: 'held-out PPL, same tokens (EMA weights)', series: panels.eval, log: true, xLabel: 'seconds' },
  { title: 'training PPL of the objective\'s targets (window means)', series: panels.train, log: true, xLabel: 'seconds' },
]);

const report = {
  date: new Date().toISOString(), machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}`, threads: info().threads,
  libtorch: info().libtorchVersion, minutes: maxSteps === undefined ? minutes : null, maxSteps: maxSteps ?? null,
  peakLr: { opt: lrOpt, sllm: lrSllm }, recipe, schedule: scheduleKind, stopLoss, controls: { opt: controls, sllm: sllmControls },
  shape, svaeShape, heldOutParagraphs: held.size, runs: summaries,
};
await writeFile(join(docs, 'sllm-brown.json'), `${JSON.stringify(report, null, 2)}\n`);
const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`);
console.log(`\nPeak lr: OPT ${lrOpt}, SLLM ${lrSllm}; SentenceVAE layers ${svaeLayers}; ${maxSteps === undefined ? `${minutes} min each` : `${maxSteps} updates each`}; ${info().threads} thread(s)`);
console.log('\n| model | parameters | updates | s / update | held-out PPL (same tokens) | content-token PPL | stop accuracy | base rate | stop precision | stop recall |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const s of summaries) {
  console.log(`| ${s.name} | ${s.parameters.toLocaleString('en-US')} | ${s.steps} | ${s.secondsPerStep.toFixed(3)} | ${s.eval.ppl!.toFixed(2)} | ${s.eval.contentPpl!.toFixed(2)} | ${pct(s.eval.stopAccuracy)} | ${pct(s.eval.stopBaseRate)} | ${pct(s.eval.stopPrecision)} | ${pct(s.eval.stopRecall)} |`);
}
for (const s of summaries) {
  console.log(`\n${s.name} greedy samples (without controls / with ${JSON.stringify(s.name.startsWith('OPT') ? controls : sllmControls)}):`);
  for (const x of s.samples) {
    console.log(`  prompt: ${JSON.stringify(x.prompt)}\n  truth:  ${JSON.stringify(x.truth)}\n  plain:  ${JSON.stringify(x.plain)}\n  model:  ${JSON.stringify(x.generated)}`);
  }
}
