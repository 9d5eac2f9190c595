/**
 * Soak: many small calls in one process, resident memory sampled as they run. A leak of even a
 * few hundred bytes per call shows as a steady rise of RSS; the verdict is the least-squares
 * slope of RSS over calls after a warm-up (allocator pools, JIT and caches fill first), in MB per
 * 1,000 calls, against a bar of 1 MB per 1,000 calls.
 *
 * Phases (tiny random models, CPU, float32):
 * - `sllm.generate`: one prompt, 2 sentences of up to 4 tokens, stop head ignored;
 * - `opt.generate`: one prompt, 4 new tokens;
 * - `SLLM create→dispose` and `OPT create→dispose` cycles (a native model and its weights each).
 *
 * Before each sample the JS heap is collected (gc exposed at run time), so what remains is what
 * nothing can free: the JS objects still reachable and the native memory they hold. Freed native
 * blocks do not always go back to the OS at once (a model's 6 MB of weights shows up in one
 * sample and not in the next), so the verdict fits the slope to the floor of RSS: the minimum of
 * each of 10 windows after the warm-up. A leak raises the floor; a block that is freed later
 * only lifts single samples. The slope over all samples is reported next to it.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

import { OPT, SLLM, Tokenizer } from '../lib/index.js';
import type { OptConfig } from '../lib/models/optConfig.js';
import { fmt, table } from './stats.js';

/** V8's gc(), exposed at run time (the bench runs without --expose-gc). */
let gcFunction: (() => void) | undefined;
function gc(): void {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}

export interface SoakPhase {
  name: string;
  calls: number;
  seconds: number;
  /** Calls per RSS sample. */
  every: number;
  /** [calls done, RSS MB] after gc. */
  samples: [number, number][];
  /** Samples before this many calls are the warm-up (excluded from the slope). */
  warmupCalls: number;
  rssStartMB: number;
  rssEndMB: number;
  /** Least-squares slope of the floor of RSS (window minima) after the warm-up, MB per 1,000 calls: the verdict. */
  slopeMBPer1000: number;
  /** Least-squares slope of every RSS sample after the warm-up, MB per 1,000 calls. */
  rawSlopeMBPer1000: number;
  /** The same for the JS heap (heapUsed + external): tells a JS leak from a native one. */
  heapSlopeMBPer1000: number;
  pass: boolean;
}

export interface SoakResult {
  name: 'soak';
  quick: boolean;
  barMBPer1000: number;
  phases: SoakPhase[];
  pass: boolean;
}

const barMBPer1000 = 1;
const MB = 1024 * 1024;

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0, sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxy / sxx;
}

/** The lowest point of each of `windows` consecutive groups of samples. */
export function floor(points: readonly [number, number][], windows: number): [number, number][] {
  const size = Math.max(1, Math.ceil(points.length / windows));
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += size) {
    const group = points.slice(i, i + size);
    out.push(group.reduce((best, p) => (p[1] < best[1] ? p : best)));
  }
  return out;
}

function measure(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss / MB, heap: (m.heapUsed + m.external) / MB };
}

/** Runs `call` `calls` times, sampling memory every `every` calls. */
async function phase(name: string, calls: number, every: number, call: (i: number) => Promise<unknown>): Promise<SoakPhase> {
  const samples: [number, number][] = [];
  const heap: [number, number][] = [];
  const started = performance.now();
  const first = measure();
  samples.push([0, first.rss]);
  heap.push([0, first.heap]);
  for (let i = 1; i <= calls; i++) {
    await call(i);
    if (i % every === 0 || i === calls) {
      const m = measure();
      samples.push([i, m.rss]);
      heap.push([i, m.heap]);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const warmupCalls = Math.round(calls * 0.2);
  const after = (s: [number, number][]) => s.filter(([x]) => x >= warmupCalls).map(([x, y]) => [x / 1000, y] as [number, number]);
  const s = slope(floor(after(samples), 10));
  return {
    name, calls, seconds, every, samples, warmupCalls,
    rssStartMB: samples[0]![1], rssEndMB: samples.at(-1)![1],
    slopeMBPer1000: s, rawSlopeMBPer1000: slope(after(samples)), heapSlopeMBPer1000: slope(after(heap)), pass: s <= barMBPer1000,
  };
}

export async function benchSoak(options: { quick?: boolean; generateCalls?: number; cycles?: number } = {}): Promise<SoakResult> {
  const quick = options.quick ?? false;
  const generateCalls = options.generateCalls ?? (quick ? 1000 : 10_000);
  const cycles = options.cycles ?? (quick ? 200 : 1000);
  const every = Math.max(1, Math.round(generateCalls / 100));
  const cycleEvery = Math.max(1, Math.round(cycles / 100));
  const phases: SoakPhase[] = [];
  const log = (p: SoakPhase) => console.error(`soak: ${p.name}: ${p.calls} calls in ${p.seconds.toFixed(1)} s, slope ${p.slopeMBPer1000.toFixed(3)} MB / 1,000 calls`);

  const sllmOptions = { svae: { preset: 'tiny' as const, dropout: 0 }, llm: { layers: 1 }, seed: 1 };
  {
    await using sllm = await SLLM.create(sllmOptions);
    const prompts = ['It was late.', 'The jury met. It said the vote was fine.', 'Nobody cared!'];
    phases.push(await phase('sllm.generate', generateCalls, every, (i) =>
      sllm.generateText(prompts[i % prompts.length]!, { maxSentences: 2, maxSentenceTokens: 4, ignoreStop: true })));
    log(phases.at(-1)!);
  }

  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  const optConfig: OptConfig = {
    vocabSize: Math.ceil(tokenizer.vocabSize / 8) * 8, hidden: 32, ffn: 64, layers: 1, heads: 2, maxPositions: 64,
    wordEmbedProjDim: 32, preNorm: true, finalNorm: true, padId: 1, bosId: 2, eosId: 2,
  };
  {
    await using opt = await OPT.create(optConfig, { tokenizer, seed: 1 });
    const prompts = ['Hello there', 'The jury said', 'It was'];
    phases.push(await phase('opt.generate', generateCalls, every, (i) => opt.generate(prompts[i % prompts.length]!, { maxNewTokens: 4 })));
    log(phases.at(-1)!);
  }

  phases.push(await phase('SLLM create→dispose', cycles, cycleEvery, async (i) => {
    const m = await SLLM.create({ ...sllmOptions, seed: i });
    m.dispose();
  }));
  log(phases.at(-1)!);
  phases.push(await phase('OPT create→dispose', cycles, cycleEvery, async (i) => {
    const m = await OPT.create(optConfig, { tokenizer, seed: i });
    m.dispose();
  }));
  log(phases.at(-1)!);

  return { name: 'soak', quick, barMBPer1000, phases, pass: phases.every((p) => p.pass) };
}

export function renderSoak(r: SoakResult): string {
  return [
    `Soak${r.quick ? ' (--quick)' : ''}: RSS after gc; least-squares slope after the first 20% of calls of the RSS floor (minima of 10 windows) and of all samples; bar ${r.barMBPer1000} MB per 1,000 calls (floor)`,
    '',
    table(
      ['phase', 'calls', 'seconds', 'RSS start MB', 'RSS end MB', 'floor slope MB/1k calls', 'all-samples slope', 'JS heap slope', 'verdict'],
      r.phases.map((p) => [
        p.name, fmt(p.calls), fmt(p.seconds, 1), fmt(p.rssStartMB, 1), fmt(p.rssEndMB, 1), fmt(p.slopeMBPer1000, 3), fmt(p.rawSlopeMBPer1000, 3), fmt(p.heapSlopeMBPer1000, 3), p.pass ? 'pass' : 'FAIL',
      ]),
    ),
  ].join('\n');
}
