/**
 * Throughput of the text pipeline on the Brown corpus: segment → tokenize (encodeBatch) →
 * split to ≤ 64-token pieces → pack → bucket → pad into batches of 128. Paragraphs are read
 * into memory first (file reading is not what this measures).
 */
import { availableParallelism, cpus } from 'node:os';

import { bucketBatches, padSentences, paddingRatio, readBrown, segment, splitIds, Tokenizer } from '../lib/index.js';
import { PackedSequences } from '../lib/data/packed.js';
import { fmt, spread, type Spread, table } from './stats.js';

export interface TextPipelineResult {
  name: 'text-pipeline';
  machine: string;
  tokenizer: string;
  paragraphs: number;
  tokens: number;
  sentences: number;
  tokensPerSecond: Spread;
  stageSeconds: Record<string, Spread>;
  paddingRatio: { bucketed: number; unbucketed: number };
}

export async function benchTextPipeline(options: { repeats?: number; tokenizer?: 'gpt2-opt' | 'gpt2-opt-4k' } = {}): Promise<TextPipelineResult> {
  const repeats = options.repeats ?? 5;
  const tokName = options.tokenizer ?? 'gpt2-opt';
  const tok = await Tokenizer.builtin(tokName);
  const paragraphs: string[] = [];
  for await (const p of readBrown()) paragraphs.push(p.text);

  const rates: number[] = [];
  const stages: Record<string, number[]> = { segment: [], tokenize: [], pack: [], batch: [] };
  let tokens = 0;
  let sentences = 0;
  let ratios = { bucketed: 0, unbucketed: 0 };
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const segments: string[] = [];
    for (const p of paragraphs) for (const s of segment(p)) segments.push(s);
    const t1 = performance.now();
    const contents: Int32Array[] = [];
    for (let i = 0; i < segments.length; i += 8192) {
      contents.push(...(await tok.encodeBatch(segments.slice(i, i + 8192), { addBos: false })));
    }
    const t2 = performance.now();
    const packed = new PackedSequences();
    for (const c of contents) for (const ids of splitIds(c, tok.bosId, 64)) packed.push(ids);
    const t3 = performance.now();
    const lengths = packed.lengths();
    const batches = bucketBatches(lengths, { batchSize: 128, seed: r });
    for (const b of batches) padSentences(b.map((i) => packed.get(i)), { padId: tok.padId });
    const t4 = performance.now();
    tokens = packed.tokens;
    sentences = packed.size;
    rates.push(tokens / ((t4 - t0) / 1000));
    stages.segment!.push((t1 - t0) / 1000);
    stages.tokenize!.push((t2 - t1) / 1000);
    stages.pack!.push((t3 - t2) / 1000);
    stages.batch!.push((t4 - t3) / 1000);
    if (r === 0) {
      const random = bucketBatches(lengths, { batchSize: 128, seed: r, windowBatches: 1 });
      const order = random.flat();
      const unsorted: number[][] = [];
      for (let i = 0; i < order.length; i += 128) unsorted.push(order.slice(i, i + 128));
      ratios = { bucketed: paddingRatio(batches, lengths), unbucketed: paddingRatio(unsorted, lengths) };
    }
  }
  return {
    name: 'text-pipeline',
    machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}`,
    tokenizer: tokName,
    paragraphs: paragraphs.length,
    tokens,
    sentences,
    tokensPerSecond: spread(rates),
    stageSeconds: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, spread(v)])),
    paddingRatio: ratios,
  };
}

export function renderTextPipeline(r: TextPipelineResult): string {
  const rows = Object.entries(r.stageSeconds).map(([stage, s]) => [stage, fmt(s.median, 3), `${fmt(s.min, 3)}–${fmt(s.max, 3)}`]);
  return [
    `Text pipeline on Brown (${fmt(r.paragraphs)} paragraphs, ${fmt(r.sentences)} pieces, ${fmt(r.tokens)} tokens, tokenizer ${r.tokenizer}; ${r.machine})`,
    `tokens/s: median ${fmt(r.tokensPerSecond.median)} (min ${fmt(r.tokensPerSecond.min)}, max ${fmt(r.tokensPerSecond.max)}, ${r.tokensPerSecond.runs} runs)`,
    `padding ratio at batch 128: bucketed ${(100 * r.paddingRatio.bucketed).toFixed(1)}%, unbucketed ${(100 * r.paddingRatio.unbucketed).toFixed(1)}%`,
    table(['stage', 'median s', 'range s'], rows),
  ].join('\n');
}
