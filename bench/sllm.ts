/**
 * The paper's Table 3, measured side by side: OPT token-by-token generation vs SLLM
 * sentence-by-sentence generation, same shapes, dtype, threads, device and KV caches, random
 * weights, lengths forced equal (sentence lengths drawn from the Brown corpus; eos and the stop
 * head ignored), each next to the same model in PyTorch eager (bench/reference/*.py) and to the
 * memory-bandwidth floor. Also: KV-cache bytes per context token (computed and allocated),
 * process RSS, and the share of wall time spent outside native compute (N-API + TypeScript).
 */
import { join } from 'node:path';

import { brownSentences, OPT, SLLM, Tokenizer } from '../lib/index.js';
import type { OptConfig } from '../lib/models/optConfig.js';
import { packageRoot } from '../lib/native/loader.js';
import { memoryBandwidth } from './bandwidth.js';
import { optShapes } from './opt.js';
import { runPython } from './python.js';
import { fmt, spread, type Spread, table } from './stats.js';

const big = (hidden: number, layers: number, heads: number): OptConfig => ({
  vocabSize: 50272, hidden, ffn: 4 * hidden, layers, heads, maxPositions: 2048, wordEmbedProjDim: hidden, preNorm: true, finalNorm: true, padId: 1, bosId: 2, eosId: 2,
});
export const tableShapes: Record<string, OptConfig> = {
  tiny: optShapes.tiny!,
  '125m': optShapes['125m']!,
  '350m': big(1024, 24, 16),
  '1.3b': big(2048, 24, 32),
};

export interface SllmBenchRow {
  shape: string;
  svaeLayers: number;
  batch: number;
  opt: Spread;
  sllm: Spread;
  /** SLLM / OPT output tokens per second (medians). */
  speedup: number;
  pytorchOpt: Spread | null;
  pytorchSllm: Spread | null;
  /** ours / PyTorch eager (medians). */
  optVsPytorch: number | null;
  sllmVsPytorch: number | null;
  pytorchSpeedup: number | null;
  /** Share of wall time outside native compute (N-API + TypeScript orchestration). */
  optOverhead: number;
  sllmOverhead: number;
  /** KV-cache bytes per context token: computed from the shapes, and the allocated caches. */
  kvOpt: { computed: number; allocated: number };
  kvSllm: { computed: number; allocated: number };
  /** Batch 1: fp32 weight bytes read per generated token, and the tokens/s that bandwidth allows. */
  bytesPerTokenOpt: number;
  bytesPerTokenSllm: number;
  floorOpt: number;
  floorSllm: number;
  rssMiB: number;
}

const paramsOf = (model: { namedTensors(): Map<string, { shape: readonly number[]; dispose(): void }> }, prefix: (name: string) => boolean) => {
  let n = 0;
  for (const [name, t] of model.namedTensors()) {
    if (prefix(name)) n += t.shape.reduce((a, b) => a * b, 1);
    t.dispose();
  }
  return n;
};

export async function benchSllm(options: { shapes?: string[]; svaeLayers?: number[]; batches?: number[]; sentences?: number; repeats?: number; threads: number }) {
  const repeats = options.repeats ?? 3;
  const sentences = options.sentences ?? 8;
  const tokenizer = await Tokenizer.builtin('gpt2-opt');
  // Sentence lengths from Brown (content tokens of its segments), seeded: the same for every row.
  const brown = await brownSentences(tokenizer, 400, 64);
  const brownLengths = (await tokenizer.encodeBatch(brown, { addBos: false })).map((x) => x.length).filter((n) => n >= 2 && n <= 63);
  const lengths = Array.from({ length: sentences }, (_, k) => brownLengths[(k * 97 + 13) % brownLengths.length]!);
  const meanLength = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  const brownMean = brownLengths.reduce((a, b) => a + b, 0) / brownLengths.length;
  const total = lengths.reduce((a, b) => a + b, 0);
  const measured = await memoryBandwidth();
  const bandwidth = measured.readGBs * 1e9;
  const promptText = ' The jury said it was fine today.';
  const rows: SllmBenchRow[] = [];
  for (const shape of options.shapes ?? ['tiny', '125m']) {
    const config = tableShapes[shape]!;
    await using opt = await OPT.create(config, { tokenizer, seed: 1 });
    const optParams = opt.parameterCount;

    for (const svaeLayers of options.svaeLayers ?? [1, 2, 4]) {
      await using sllm = await SLLM.create({
        svae: { preset: 'SVAE-768-H1', hidden: config.hidden, heads: config.heads, ffn: 2 * config.hidden, layers: svaeLayers, dropout: 0 },
        llm: config, tokenizer, seed: 1,
      });
      // Weights read per token: embedding tables are looked up (one row), not read whole; OPT's
      // tied embed_tokens is read whole as its lm_head.
      const lookup = (n: string) => /embed_(tokens|positions)/.test(n);
      const decoderParams = paramsOf(sllm, (n) => n.startsWith('decoder.') && !lookup(n));
      const perSentenceParams = paramsOf(sllm, (n) => !n.startsWith('decoder.') && !lookup(n));
      const bytesPerTokenOpt = 4 * (optParams - paramsOf(opt, (n) => n.includes('embed_positions')));
      const bytesPerTokenSllm = 4 * (decoderParams + perSentenceParams / meanLength);
      for (const batch of options.batches ?? [1, 8]) {
        const prompts = Array.from({ length: batch }, () => promptText);
        const promptIds = await tokenizer.encode(promptText);
        const inputIds = Array.from({ length: batch }, () => Array.from(promptIds));
        const optRates: number[] = [], sllmRates: number[] = [];
        const optOver: number[] = [], sllmOver: number[] = [];
        let optCache = 0, sllmCache = 0;
        for (let r = 0; r <= repeats; r++) {
          let native = 0;
          const t0 = performance.now();
          await opt.decodeSteps({ inputIds }, { maxNewTokens: total, ignoreEos: true, onStep: (_, s) => { native += s.nativeMs; optCache = Math.max(optCache, s.cacheBytes); } });
          const optMs = performance.now() - t0;
          native = native || optMs;
          if (r > 0) {
            optRates.push((batch * total) / (optMs / 1000));
            optOver.push(1 - native / optMs);
          }
          let sNative = 0;
          const t1 = performance.now();
          for await (const _ of sllm.generate(prompts, {
            maxSentences: sentences, ignoreStop: true, sentenceTokens: lengths,
            onStats: (s) => { sNative += s.nativeMs; sllmCache = Math.max(sllmCache, s.cacheBytes); },
          })) void _;
          const sllmMs = performance.now() - t1;
          if (r > 0) {
            sllmRates.push((batch * total) / (sllmMs / 1000));
            sllmOver.push(1 - sNative / sllmMs);
          }
        }
        const cfg = JSON.stringify(config);
        const pyOpt = await runPython([join(packageRoot, 'bench', 'reference', 'opt_generate.py'), cfg, String(batch), String(promptIds.length), String(total), String(options.threads), String(repeats), 'with-prefill']);
        const svaeShape = { hidden: config.hidden, ffn: 2 * config.hidden, layers: svaeLayers, heads: config.heads, vocabSize: sllm.config.svae.vocabSize };
        const pySllm = await runPython([join(packageRoot, 'bench', 'reference', 'sllm_generate.py'), JSON.stringify({ llm: config, svae: svaeShape }), String(batch), '1', lengths.join(','), String(options.threads), String(repeats)]);
        const rates = (py: { code: number; stdout: string; stderr: string }) => {
          if (py.code !== 0) {
            console.error(py.stderr.slice(-500));
            return null;
          }
          const o = JSON.parse(py.stdout) as { seconds: number[]; tokens_per_repeat: number };
          return spread(o.seconds.map((s) => o.tokens_per_repeat / s));
        };
        const po = rates(pyOpt), ps = rates(pySllm);
        const o = spread(optRates), s = spread(sllmRates);
        const kvOptComputed = 2 * config.layers * config.hidden * 4;
        rows.push({
          shape, svaeLayers, batch, opt: o, sllm: s, speedup: s.median / o.median,
          pytorchOpt: po, pytorchSllm: ps, optVsPytorch: po ? o.median / po.median : null, sllmVsPytorch: ps ? s.median / ps.median : null,
          pytorchSpeedup: po && ps ? ps.median / po.median : null,
          optOverhead: spread(optOver).median, sllmOverhead: spread(sllmOver).median,
          // Allocated: OPT caches hold prompt + new tokens per row; SLLM caches hold prompt + generated sentences per row.
          kvOpt: { computed: kvOptComputed, allocated: optCache / batch / (promptIds.length + total) },
          kvSllm: { computed: kvOptComputed / meanLength, allocated: sllmCache / batch / (1 + sentences) / meanLength },
          bytesPerTokenOpt, bytesPerTokenSllm, floorOpt: bandwidth / bytesPerTokenOpt, floorSllm: bandwidth / bytesPerTokenSllm,
          rssMiB: process.resourceUsage().maxRSS / 1024,
        });
        console.error(`[sllm bench] ${shape} H${svaeLayers} b${batch}: OPT ${o.median.toFixed(1)} tok/s, SLLM ${s.median.toFixed(1)} tok/s (×${(s.median / o.median).toFixed(2)})`);
      }
    }
  }
  return { name: 'sllm' as const, threads: options.threads, sentences, lengths, meanLength, brownMean, bandwidthGBs: measured.readGBs, copyGBs: measured.copyGBs, rows };
}

/** The paper's Table 3 layout: per shape, OPT then SLLM-H1/H2/H4 — tokens/s (batch 1) and KV bytes per context token. */
export function renderTable3(r: Awaited<ReturnType<typeof benchSllm>>): string {
  const out: string[][] = [];
  for (const shape of [...new Set(r.rows.map((x) => x.shape))]) {
    const rows = r.rows.filter((x) => x.shape === shape && x.batch === 1);
    if (rows.length === 0) continue;
    out.push([`OPT-${shape}`, fmt(rows[0]!.opt.median, 1), '1.00×', fmt(rows[0]!.kvOpt.computed, 0), '—']);
    for (const x of rows) {
      out.push([`SLLM-${shape}-H${x.svaeLayers}`, fmt(x.sllm.median, 1), `${x.speedup.toFixed(2)}×`, fmt(x.kvSllm.computed, 0), `−${(100 * (1 - x.kvSllm.computed / x.kvOpt.computed)).toFixed(1)}%`]);
    }
  }
  return table(['model', 'output tokens/s (batch 1)', 'speed vs OPT', 'KV bytes / context token', 'memory vs OPT'], out);
}

export function renderSllm(r: Awaited<ReturnType<typeof benchSllm>>): string {
  const cell = (x: Spread | null) => (x ? `${fmt(x.median, 1)} (${fmt(x.min, 1)}–${fmt(x.max, 1)})` : 'failed');
  const ratio = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}×`);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    renderTable3(r),
    '',
    `All rows: output tokens/s, random weights, float32, greedy, KV caches, ${r.threads} threads, prefill included; ${r.sentences} generated sentences of ${r.lengths.join(', ')} tokens (drawn from Brown segments, whose mean is ${r.brownMean.toFixed(1)}; eos/stop ignored) after a one-sentence prompt; median (min–max) of repeats`,
    table(
      ['shape', 'SVAE', 'batch', 'OPT (ours)', 'SLLM (ours)', 'SLLM/OPT', 'OPT PyTorch', 'SLLM PyTorch', 'SLLM/OPT PyTorch', 'ours/PyTorch OPT', 'ours/PyTorch SLLM'],
      r.rows.map((x) => [x.shape, `H${x.svaeLayers}`, String(x.batch), cell(x.opt), cell(x.sllm), ratio(x.speedup), cell(x.pytorchOpt), cell(x.pytorchSllm), ratio(x.pytorchSpeedup), ratio(x.optVsPytorch), ratio(x.sllmVsPytorch)]),
    ),
    '',
    `Memory and limits (read bandwidth ${r.bandwidthGBs.toFixed(1)} GB/s, copy ${r.copyGBs.toFixed(1)} GB/s read+write, ${r.threads} threads; floor = read bandwidth / fp32 weight bytes read per generated token, batch 1)`,
    table(
      ['shape', 'SVAE', 'batch', 'KV B/token OPT (computed / allocated)', 'KV B/token SLLM (computed / allocated)', 'SLLM/OPT KV', 'OPT achieved / floor', 'SLLM achieved / floor', 'outside native OPT', 'outside native SLLM', 'max RSS MiB'],
      r.rows.map((x) => [
        x.shape, `H${x.svaeLayers}`, String(x.batch),
        `${fmt(x.kvOpt.computed, 0)} / ${fmt(x.kvOpt.allocated, 0)}`, `${fmt(x.kvSllm.computed, 0)} / ${fmt(x.kvSllm.allocated, 0)}`,
        (x.kvSllm.computed / x.kvOpt.computed).toFixed(3),
        x.batch === 1 ? `${fmt(x.opt.median, 1)} / ${fmt(x.floorOpt, 1)} = ${pct(x.opt.median / x.floorOpt)}` : '-',
        x.batch === 1 ? `${fmt(x.sllm.median, 1)} / ${fmt(x.floorSllm, 1)} = ${pct(x.sllm.median / x.floorSllm)}` : '-',
        pct(x.optOverhead), pct(x.sllmOverhead), fmt(x.rssMiB, 0),
      ]),
    ),
  ].join('\n');
}
