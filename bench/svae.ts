/**
 * SentenceVAE encode / decode throughput for the paper's shapes (random weights, float32,
 * the full 50k vocabulary): encode a batch of Brown sentences; decode batches of vectors
 * greedily for a fixed number of tokens (untrained models never stop early by themselves).
 */
import { availableParallelism, cpus } from 'node:os';

import { brownSentences, type PresetName, SentenceVAE, Tokenizer } from '../lib/index.js';
import { fmt, spread, type Spread, table } from './stats.js';

export interface SvaeBenchRow {
  preset: PresetName;
  parameters: number;
  encode: { batch: number; tokens: number; sentencesPerSecond: Spread; tokensPerSecond: Spread };
  decode: Array<{ batch: number; tokensPerSentence: number; sentencesPerSecond: Spread; tokensPerSecond: Spread }>;
}

export interface SvaeBenchResult {
  name: 'svae';
  machine: string;
  threads: number;
  rows: SvaeBenchRow[];
}

async function time(fn: () => Promise<unknown>, repeats: number): Promise<number[]> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

export async function benchSvae(options: { presets?: PresetName[]; repeats?: number; threads: number }): Promise<SvaeBenchResult> {
  const repeats = options.repeats ?? 3;
  const tokenizer = await Tokenizer.builtin('gpt2-opt');
  const sentences = (await brownSentences(tokenizer, 64, 64)).slice(0, 64);
  const tokens = (await tokenizer.encodeBatch(sentences)).reduce((n, x) => n + x.length, 0);
  const rows: SvaeBenchRow[] = [];
  for (const preset of options.presets ?? (['SVAE-768-H1', 'SVAE-768-H2', 'SVAE-768-H4'] as PresetName[])) {
    await using vae = await SentenceVAE.create({ preset, tokenizer, seed: 1 });
    const enc = await time(() => vae.encode(sentences, { batchSize: 16 }), repeats);
    const decode: SvaeBenchRow['decode'] = [];
    for (const batch of [1, 16]) {
      const omega = await vae.encodeToTensor(sentences.slice(0, batch));
      const steps = 16;
      const dec = await time(() => vae.decodeIds(omega, { maxTokens: steps }), repeats);
      omega.dispose();
      decode.push({
        batch, tokensPerSentence: steps,
        sentencesPerSecond: spread(dec.map((s) => batch / s)),
        tokensPerSecond: spread(dec.map((s) => (batch * steps) / s)),
      });
    }
    rows.push({
      preset, parameters: vae.parameterCount,
      encode: { batch: sentences.length, tokens, sentencesPerSecond: spread(enc.map((s) => sentences.length / s)), tokensPerSecond: spread(enc.map((s) => tokens / s)) },
      decode,
    });
  }
  return { name: 'svae', machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}`, threads: options.threads, rows };
}

const cell = (s: Spread) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

export function renderSvae(r: SvaeBenchResult): string {
  const rows = r.rows.flatMap((row) => [
    [row.preset, `${(row.parameters / 1e6).toFixed(1)}M`, `encode ${row.encode.batch} sentences, length-sorted batches of 16`, cell(row.encode.sentencesPerSecond), cell(row.encode.tokensPerSecond)],
    ...row.decode.map((d) => [row.preset, '', `decode, batch ${d.batch}, ${d.tokensPerSentence} tokens`, cell(d.sentencesPerSecond), cell(d.tokensPerSecond)]),
  ]);
  return [
    `SentenceVAE throughput (random weights, float32, CPU, ${r.threads} threads; ${r.machine}); median (min–max) of 3 runs`,
    table(['preset', 'params', 'operation', 'sentences/s', 'tokens/s'], rows),
  ].join('\n');
}
