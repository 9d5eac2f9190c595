/**
 * Training speed of our SentenceVAE step vs the same model in PyTorch eager (Debian's
 * python3-torch, the LibTorch we link), on the same batches, side by side in one run.
 * Reports target tokens per second of each (median and spread over steps) and the ratio.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type PresetName, SentenceDataset, SentenceVAE, type IndexedSentenceBatch } from '../lib/index.js';
import { packageRoot } from '../lib/native/loader.js';
import { runPython } from './python.js';
import { fmt, spread, type Spread, table } from './stats.js';

export interface TrainVsPytorchResult {
  name: 'train-vs-pytorch';
  preset: PresetName;
  batchSize: number;
  steps: number;
  threads: number;
  ours: { tokensPerSecond: Spread };
  /** Ratio of medians in each round (ours then PyTorch, alternating). */
  rounds: number[];
  pytorch: { version: string; tokensPerSecond: Spread } | { error: string };
  ratio?: number;
}

function writeBatches(path: string, batches: IndexedSentenceBatch[]): void {
  const ints: number[] = [batches.length];
  for (const b of batches) ints.push(b.batchSize, b.length, ...b.ids, ...b.lengths);
  writeFileSync(path, Buffer.from(Int32Array.from(ints).buffer));
}


export async function benchTrainVsPytorch(options: { preset?: PresetName; batchSize?: number; steps?: number; rounds: number; threads: number }): Promise<TrainVsPytorchResult> {
  const preset = options.preset ?? 'small';
  const batchSize = options.batchSize ?? 64;
  const steps = options.steps ?? 20;
  const warmup = 3;
  const vae = await SentenceVAE.create({ preset, seed: 0 });
  const data = await SentenceDataset.fromCorpus('brown', vae.tokenizer, { split: 'train', limit: batchSize * (steps + warmup) * 2 });
  const source = data.batches({ batchSize, seed: 1 });
  const batches = Array.from({ length: steps + warmup }, () => source.next());
  const file = join(mkdtempSync(join(tmpdir(), 'svae-ref-')), 'batches.bin');
  writeBatches(file, batches);

  // Alternate rounds (ours, then PyTorch) so that drift in this machine's speed hits both alike.
  await vae.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, emaDecay: 0, amp: 'off' }, 0);
  const config = { ...vae.config, lr: 1e-3 };
  const rates: number[] = [];
  const pyRates: number[] = [];
  const rounds: number[] = [];
  let version = '';
  let failure = '';
  for (let round = 0; round < options.rounds; round++) {
    const ours: number[] = [];
    for (const [i, b] of batches.entries()) {
      const t0 = performance.now();
      const r = await vae.accumulate(b, { gamma: 2, scale: 1 });
      await vae.applyStep({ lr: 1e-3, clip: 1 });
      if (i >= warmup) ours.push(r.tokens / ((performance.now() - t0) / 1000));
    }
    rates.push(...ours);
    const py = await runPython([join(packageRoot, 'bench', 'reference', 'svae_train.py'), JSON.stringify(config), file, String(options.threads), String(warmup)]);
    if (py.code !== 0) {
      failure = `reference failed (exit ${py.code}): ${py.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      break;
    }
    const out = JSON.parse(py.stdout) as { torch: string; seconds: number[]; tokens: number[] };
    version = out.torch;
    const theirs = out.seconds.map((s, i) => out.tokens[i]! / s);
    pyRates.push(...theirs);
    rounds.push(spread(ours).median / spread(theirs).median);
  }
  vae.dispose();
  const result: TrainVsPytorchResult = {
    name: 'train-vs-pytorch', preset, batchSize, steps, threads: options.threads, rounds,
    ours: { tokensPerSecond: spread(rates) },
    pytorch: failure ? { error: failure } : { version, tokensPerSecond: spread(pyRates) },
  };
  if (!failure) result.ratio = spread(rates).median / spread(pyRates).median;
  return result;
}

export function renderTrainVsPytorch(r: TrainVsPytorchResult): string {
  const cell = (s: Spread) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
  const rows = [['sentencevae (LibTorch, native step)', cell(r.ours.tokensPerSecond)]];
  rows.push('error' in r.pytorch ? ['PyTorch eager', r.pytorch.error] : [`PyTorch ${r.pytorch.version} eager`, cell(r.pytorch.tokensPerSecond)]);
  return [
    `SentenceVAE training, preset ${r.preset}, batch ${r.batchSize}, ${r.rounds.length} alternating rounds of ${r.steps} timed steps (after 3 warm-up) each, ${r.threads} threads, same batches; target tokens/s, median (min–max) over steps`,
    table(['implementation', 'tokens/s'], rows),
    r.ratio === undefined ? '' : `ratio ours / PyTorch (medians over all rounds): ${r.ratio.toFixed(3)}; per round: ${r.rounds.map((x) => x.toFixed(2)).join(', ')}`,
  ].join('\n');
}
