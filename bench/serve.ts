/**
 * The HTTP server under load: our own bounded load generator (fetch over loopback, streaming, a
 * fixed number of requests per client) at 1, 4, 16 and 64 concurrent clients against
 * `createServer(Engine)` over random-weight SLLM and OPT models of the Table-3 shapes, lengths
 * forced equal (SLLM: sentence lengths drawn from Brown as in bench/sllm.ts, stop head ignored; OPT:
 * the same number of tokens, eos ignored). Per level: aggregate output tokens/s, p50/p95 time to
 * first sentence (SLLM) or token (OPT), p50/p95 request latency, mean/max slot occupancy,
 * event-loop lag p99 of the server's thread — next to the same requests sent one at a time. The
 * clients run in a worker thread of the same process (bench/serveLoad.ts), so the lag measured is
 * the server's own; they share the machine's cores with it.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

import { brownSentences, createServer, type InferenceDType, OPT, SLLM, Tokenizer } from '../lib/index.js';
import { Engine } from '../lib/serve/index.js';
import type { StepInfo } from '../lib/serve/types.js';
import { tableShapes } from './sllm.js';
import { type LoadJob, type LoadSamples, streamOnce } from './serveLoad.js';
import { fmt, spread, type Spread, table } from './stats.js';

export interface LoadResult {
  clients: number;
  requests: number;
  /** Output tokens / wall time of the whole level, per repeat. */
  tokensPerSecond: Spread;
  ttftMs: { p50: number; p95: number };
  latencyMs: { p50: number; p95: number };
  /** Busy slots per engine step while the level ran. */
  occupancy: { mean: number; max: number };
  eventLoopLagP99Ms: number;
  errors: number;
}

export interface ServeBenchRow {
  shape: string;
  kind: 'sllm' | 'opt';
  tokensPerRequest: number;
  /** The same requests one at a time. */
  sequential: LoadResult;
  levels: LoadResult[];
}

const quantile = (xs: readonly number[], q: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

/** Runs the load generator in a worker thread (bench/serveLoad.ts) while this thread serves. */
async function load(url: string, engine: Engine, body: object, clients: number, perClient: number): Promise<Omit<LoadResult, 'tokensPerSecond'> & { rate: number }> {
  const steps: number[] = [];
  const onStep = (s: StepInfo) => steps.push(s.busySlots);
  engine.on('step', onStep);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const worker = new Worker(new URL('./serveLoad.js', import.meta.url), { workerData: { url, body, clients, perClient } satisfies LoadJob });
  let samples: LoadSamples;
  try {
    [samples] = (await once(worker, 'message')) as [LoadSamples];
  } finally {
    lag.disable();
    engine.off('step', onStep);
    await worker.terminate();
  }
  return {
    clients, requests: clients * perClient, rate: samples.tokens / samples.seconds,
    ttftMs: { p50: quantile(samples.ttft, 0.5), p95: quantile(samples.ttft, 0.95) },
    latencyMs: { p50: quantile(samples.latency, 0.5), p95: quantile(samples.latency, 0.95) },
    occupancy: { mean: steps.reduce((a, b) => a + b, 0) / Math.max(1, steps.length), max: Math.max(0, ...steps) },
    eventLoopLagP99Ms: lag.percentile(99) / 1e6,
    errors: samples.errors,
  };
}

export async function benchServe(options: { shapes?: string[]; clients?: number[]; repeats?: number; sentences?: number; dtype?: InferenceDType }): Promise<{ name: 'serve'; rows: ServeBenchRow[]; lengths: number[]; repeats: number; dtype: InferenceDType }> {
  const dtype = options.dtype ?? 'float32';
  const clientsList = options.clients ?? [1, 4, 16, 64];
  const repeats = options.repeats ?? 2;
  const sentences = options.sentences ?? 8;
  const tokenizer = await Tokenizer.builtin('gpt2-opt');
  // The Table-3 bench's lengths: content-token counts of Brown segments, the same for every row.
  const brown = await brownSentences(tokenizer, 400, 64);
  const brownLengths = (await tokenizer.encodeBatch(brown, { addBos: false })).map((x) => x.length).filter((n) => n >= 2 && n <= 63);
  const lengths = Array.from({ length: sentences }, (_, k) => brownLengths[(k * 97 + 13) % brownLengths.length]!);
  const total = lengths.reduce((a, b) => a + b, 0);
  const prompt = ' The jury said it was fine today.';
  const rows: ServeBenchRow[] = [];
  for (const shape of options.shapes ?? ['125m']) {
    const config = tableShapes[shape];
    if (!config) throw new Error(`unknown shape '${shape}'; known: ${Object.keys(tableShapes).join(', ')}`);
    const kinds = ['sllm', 'opt'] as const;
    const models = {
      sllm: await SLLM.create({ svae: { preset: 'SVAE-768-H1', hidden: config.hidden, heads: config.heads, ffn: 2 * config.hidden, layers: 1, dropout: 0 }, llm: config, tokenizer, seed: 1, dtype }),
      opt: await OPT.create(config, { tokenizer, seed: 1, dtype }),
    };
    const bodies = {
      sllm: { model: 'sllm', prompt, max_tokens: total, temperature: 0, ignore_eos: true, sentence_tokens: lengths, max_sentences: sentences },
      opt: { model: 'opt', prompt, max_tokens: total, temperature: 0, ignore_eos: true },
    };
    // Both servers run side by side and their repeats alternate, so a neighbour's load on this
    // shared machine falls on both alike (the way the Table-3 bench alternates OPT and SLLM).
    const level = async (clients: number, perClient: number): Promise<Record<'sllm' | 'opt', LoadResult>> => {
      const servers = await Promise.all(kinds.map(async (kind) => {
        // One engine per level, sized to it: every client has a slot.
        const engine = await Engine.create(models[kind], { slots: clients, maxQueue: clients });
        const app = createServer(engine, { modelName: kind, processMetrics: false, graceMs: 0, closeEngine: true });
        await app.listen({ host: '127.0.0.1', port: 0 });
        return { kind, engine, app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
      }));
      try {
        for (const sv of servers) await streamOnce(sv.url, bodies[sv.kind]); // warm-up
        const runs: Record<string, Awaited<ReturnType<typeof load>>[]> = { sllm: [], opt: [] };
        for (let r = 0; r < repeats; r++) {
          for (const sv of servers) runs[sv.kind]!.push(await load(sv.url, sv.engine, bodies[sv.kind], clients, perClient));
        }
        const summary = (xs: Awaited<ReturnType<typeof load>>[]): LoadResult => {
          const { rate: _rate, ...rest } = xs.at(-1)!;
          return { ...rest, tokensPerSecond: spread(xs.map((x) => x.rate)), errors: xs.reduce((n, x) => n + x.errors, 0) };
        };
        return { sllm: summary(runs.sllm!), opt: summary(runs.opt!) };
      } finally {
        for (const sv of servers) await sv.app.close();
      }
    };
    const byKind = { sllm: [] as LoadResult[], opt: [] as LoadResult[] };
    // One at a time: 4 requests back to back from one client (the 1-client level itself).
    const sequential = await level(1, 4);
    for (const clients of clientsList) {
      // Bounded: two requests per client (one at 64 clients), at least 4 in all.
      const perClient = clients >= 64 ? 1 : Math.max(2, Math.ceil(4 / clients));
      const results = clients === 1 ? sequential : await level(clients, perClient);
      for (const kind of kinds) {
        byKind[kind].push(results[kind]);
        const l = results[kind];
        console.error(`[serve bench] ${shape} ${kind} ${clients} clients: ${l.tokensPerSecond.median.toFixed(1)} tok/s, ttft p50 ${l.ttftMs.p50.toFixed(0)} ms, lag p99 ${l.eventLoopLagP99Ms.toFixed(1)} ms`);
      }
    }
    for (const kind of kinds) {
      rows.push({ shape, kind, tokensPerRequest: total, sequential: sequential[kind], levels: byKind[kind] });
      models[kind].dispose();
    }
  }
  return { name: 'serve', rows, lengths, repeats, dtype };
}

export function renderServe(r: Awaited<ReturnType<typeof benchServe>>): string {
  const ms = (x: number) => fmt(x, 0);
  const out: string[][] = [];
  for (const row of r.rows) {
    const seq = row.sequential;
    for (const l of row.levels) {
      const opt = r.rows.find((x) => x.shape === row.shape && x.kind === 'opt')?.levels.find((x) => x.clients === l.clients);
      out.push([
        row.shape, row.kind.toUpperCase(), String(l.clients), String(l.requests),
        `${fmt(l.tokensPerSecond.median, 1)} (${fmt(l.tokensPerSecond.min, 1)}–${fmt(l.tokensPerSecond.max, 1)})`,
        `${(l.tokensPerSecond.median / seq.tokensPerSecond.median).toFixed(2)}×`,
        row.kind === 'sllm' && opt ? `${(l.tokensPerSecond.median / opt.tokensPerSecond.median).toFixed(2)}×` : '-',
        `${ms(l.ttftMs.p50)} / ${ms(l.ttftMs.p95)}`, `${ms(l.latencyMs.p50)} / ${ms(l.latencyMs.p95)}`,
        `${l.occupancy.mean.toFixed(1)} / ${l.occupancy.max}`, l.eventLoopLagP99Ms.toFixed(1), String(l.errors),
        `${fmt(seq.tokensPerSecond.median, 1)}; ${ms(seq.ttftMs.p50)}; ${ms(seq.latencyMs.p50)}`,
      ]);
    }
  }
  return [
    `Serving under load: random weights, ${r.dtype ?? 'float32'}, greedy, ${r.lengths.length} sentences of ${r.lengths.join(', ')} tokens per request (OPT: the same token count, eos ignored), streamed over loopback; median (min–max) of ${r.repeats} repeats per level`,
    table(
      ['shape', 'model', 'clients', 'requests', 'output tokens/s', 'vs one at a time', 'SLLM/OPT', 'first output p50 / p95 ms', 'latency p50 / p95 ms', 'slots busy mean / max', 'event-loop lag p99 ms', 'errors', 'one at a time: tok/s; first ms; latency ms'],
      out,
    ),
  ].join('\n');
}
