/**
 * `npm run bench -- peers`: our OPT and SLLM-H1 in every dtype next to llama.cpp (node-llama-cpp,
 * installed on demand: bench/llamaPeer.ts) running its `gpt2` architecture at OPT's shape from a
 * GGUF this bench writes (bench/gguf.ts), at equal weight bytes: float32 vs f32, bfloat16 vs f16,
 * int8 vs q8_0. Random weights, greedy, KV caches, prefill included, lengths forced equal (the
 * Table-3 bench's 8 Brown sentence lengths: OPT and the peer generate their sum after a
 * 16-token prompt, the SLLM those sentences after a one-sentence prompt). Within one pair the
 * three run in alternating rounds (round 0 is a warm-up), medians reported; pairs run one after
 * the other so that only one pair's weights are in memory (1.3b in float32: ~17 GB).
 * Floor = measured read bandwidth (native/kernels/bandwidth.cc, the kernels' access pattern) /
 * weight bytes read per generated token in that dtype. The read probe runs in every round next to
 * the three models and the floor uses its median over the row's rounds: on a VM whose memory
 * bandwidth drifts between minutes (this one read 48–76 GB/s within one sitting), one probe at the
 * start measured a different machine from the one the rounds ran on.
 */
import { join } from 'node:path';

import { OPT, SLLM, Tokenizer } from '../lib/index.js';
import type { InferenceDType } from '../lib/models/inferenceDType.js';
import { callAsync } from '../lib/native/call.js';
import { addon } from '../lib/native/loader.js';
import { writeGpt2Gguf, type GgufType } from './gguf.js';
import { loadPeer, peerGenerate, peersDir, peerVersion } from './llamaPeer.js';
import { tableShapes } from './sllm.js';
import { fmt, spread, type Spread, table } from './stats.js';

const pairs: Record<string, [InferenceDType, GgufType]> = { float32: ['float32', 'f32'], bfloat16: ['bfloat16', 'f16'], int8: ['int8', 'q8_0'] };
const tableLengths = [5, 12, 10, 4, 16, 6, 16, 23];
const bytesOf: Record<string, number> = { float32: 4, bfloat16: 2, float16: 2, int8: 1 };

export interface PeersRow {
  shape: string;
  dtype: InferenceDType;
  peerType: GgufType;
  batch: number;
  opt: Spread;
  sllm: Spread;
  peer: Spread | null;
  /** Weight bytes read per generated token (batch 1) and the tokens/s the read bandwidth allows. */
  bytesOpt: number;
  bytesSllm: number;
  bytesPeer: number;
  floorOpt: number;
  floorSllm: number;
  floorPeer: number;
  /** The read probe of this row's rounds, GB/s (its median sets the floors). */
  readGBs: Spread;
}

type Named = { namedTensors(): Map<string, { shape: readonly number[]; dtype: string; dispose(): void }> };
const bytesWhere = (model: Named, pick: (name: string) => boolean) => {
  let n = 0;
  for (const [name, t] of model.namedTensors()) {
    if (pick(name)) n += t.shape.reduce((a, b) => a * b, 1) * (bytesOf[t.dtype] ?? 4);
    t.dispose();
  }
  return n;
};

export async function benchPeers(options: { shapes?: string[]; dtypes?: string[]; batches?: number[]; sentences?: number; repeats?: number; threads: number; noPeer?: boolean }) {
  const repeats = options.repeats ?? 3;
  const lengths = Array.from({ length: options.sentences ?? 8 }, (_, k) => tableLengths[k % tableLengths.length]!);
  const total = lengths.reduce((a, b) => a + b, 0);
  const meanLength = total / lengths.length;
  const bandwidth = await callAsync(() => addon().kernels.readBandwidth(1024, 5));
  const legacy = await callAsync(() => addon().ops.memoryBandwidth(512, 3));
  const tokenizer = await Tokenizer.builtin('gpt2-opt');
  const promptText = ' The jury said it was fine today.';
  const optPrompt = [2, ...Array.from({ length: 15 }, (_, i) => 1000 + 37 * i)];
  const peerPrompt = Array.from({ length: 16 }, (_, i) => 1000 + 37 * i);
  const llama = options.noPeer ? null : await loadPeer();
  const rows: PeersRow[] = [];
  for (const shape of options.shapes ?? ['125m']) {
    const config = tableShapes[shape];
    if (!config) throw new Error(`unknown shape '${shape}'; known: ${Object.keys(tableShapes).join(', ')}`);
    for (const name of options.dtypes ?? Object.keys(pairs)) {
      const pair = pairs[name];
      if (!pair) throw new Error(`unknown dtype '${name}'; known: ${Object.keys(pairs).join(', ')}`);
      const [dtype, peerType] = pair;
      await using opt = await OPT.create(config, { tokenizer, seed: 1, dtype });
      await using sllm = await SLLM.create({
        svae: { preset: 'SVAE-768-H1', hidden: config.hidden, heads: config.heads, ffn: 2 * config.hidden, layers: 1, dropout: 0 },
        llm: config, tokenizer, seed: 1, dtype,
      });
      const lookup = (n: string) => /embed_(tokens|positions)/.test(n);
      const bytesOpt = bytesWhere(opt, (n) => !n.includes('embed_positions'));
      const bytesSllm = bytesWhere(sllm, (n) => n.startsWith('decoder.') && !lookup(n)) + bytesWhere(sllm, (n) => !n.startsWith('decoder.') && !lookup(n)) / meanLength;
      const gguf = writeGpt2Gguf(join(peersDir, 'models', `gpt2-${shape}-${peerType}.gguf`), config, peerType);
      const positionBytes = config.hidden * config.maxPositions * (peerType === 'f32' ? 4 : peerType === 'f16' ? 2 : 34 / 32);
      const bytesPeer = gguf.bytes - positionBytes;
      const model = llama ? await llama.loadModel({ modelPath: gguf.path, gpuLayers: 0 }) : null;
      const context = model ? await model.createContext({ contextSize: 256, threads: options.threads, batchSize: 64, sequences: 1 }) : null;
      const seq = context?.getSequence() ?? null;
      try {
        for (const batch of options.batches ?? [1]) {
          const optRates: number[] = [], sllmRates: number[] = [], peerRates: number[] = [], probes: number[] = [];
          const inputIds = Array.from({ length: batch }, () => optPrompt);
          const prompts = Array.from({ length: batch }, () => promptText);
          for (let r = 0; r <= repeats; r++) {
            const probe = await callAsync(() => addon().kernels.readBandwidth(1024, 3));
            if (r > 0) probes.push(probe.readGBs);
            // The peer runs batch 1 only (its batch-1 rate is what the ratios compare against).
            if (seq && batch === 1) {
              const rate = await peerGenerate(seq, peerPrompt, total);
              if (r > 0) peerRates.push(rate);
            }
            let t0 = performance.now();
            await opt.decodeSteps({ inputIds }, { maxNewTokens: total, ignoreEos: true });
            if (r > 0) optRates.push((batch * total) / ((performance.now() - t0) / 1000));
            t0 = performance.now();
            for await (const _ of sllm.generate(prompts, { maxSentences: lengths.length, ignoreStop: true, sentenceTokens: lengths })) void _;
            if (r > 0) sllmRates.push((batch * total) / ((performance.now() - t0) / 1000));
          }
          const read = spread(probes);
          const row: PeersRow = {
            shape, dtype, peerType, batch, opt: spread(optRates), sllm: spread(sllmRates), peer: peerRates.length ? spread(peerRates) : null,
            bytesOpt, bytesSllm, bytesPeer,
            floorOpt: (read.median * 1e9) / bytesOpt, floorSllm: (read.median * 1e9) / bytesSllm, floorPeer: (read.median * 1e9) / bytesPeer,
            readGBs: read,
          };
          rows.push(row);
          console.error(`[peers] ${shape} ${dtype} b${batch}: OPT ${row.opt.median.toFixed(1)}, SLLM-H1 ${row.sllm.median.toFixed(1)}, llama.cpp ${peerType} ${row.peer ? row.peer.median.toFixed(1) : '-'} tok/s`);
        }
      } finally {
        await context?.dispose();
        await model?.dispose();
      }
    }
  }
  return {
    name: 'peers' as const, threads: options.threads, repeats, lengths, total, kernelPath: addon().kernels.paths().active,
    peer: llama ? `node-llama-cpp ${peerVersion} (${llama.buildType ?? 'prebuilt'})` : 'not run',
    readGBs: bandwidth.readGBs, legacySumGBs: legacy.readGBs, rows,
  };
}

export function renderPeers(r: Awaited<ReturnType<typeof benchPeers>>): string {
  const cell = (x: Spread | null) => (x ? `${fmt(x.median, 1)} (${fmt(x.min, 1)}–${fmt(x.max, 1)})` : '-');
  const pct = (rate: number, floor: number) => `${(100 * rate / floor).toFixed(0)}%`;
  const probes = r.rows.flatMap((x) => [x.readGBs.min, x.readGBs.max]);
  const out: string[] = [
    `Output tokens/s, median (min–max) of ${r.repeats} alternating rounds; ${r.threads} threads; kernels: ${r.kernelPath}; peer: ${r.peer}; ` +
      `${r.total} tokens (sentences of ${r.lengths.join(', ')}), prefill included. Read bandwidth ${r.readGBs.toFixed(1)} GB/s at the start (kernel read benchmark; the old LibTorch sum: ${r.legacySumGBs.toFixed(1)} GB/s); ` +
      `the floors use the probe's median over each row's rounds (read GB/s column; ${fmt(Math.min(...probes), 1)}–${fmt(Math.max(...probes), 1)} over all rounds).`,
  ];
  for (const dtype of [...new Set(r.rows.map((x) => x.dtype))]) {
    const rows = r.rows.filter((x) => x.dtype === dtype);
    out.push('', `### ${dtype} (peer: llama.cpp ${rows[0]!.peerType})`, '');
    out.push(table(
      ['shape', 'batch', `llama.cpp ${rows[0]!.peerType}`, 'our OPT', 'our SLLM-H1', 'OPT / llama.cpp', 'SLLM-H1 / llama.cpp', 'SLLM / OPT', 'OPT achieved / floor', 'SLLM achieved / floor', 'llama.cpp achieved / floor', 'read GB/s', 'MB / token OPT · SLLM · llama.cpp'],
      rows.map((x) => {
        const peer = r.rows.find((y) => y.shape === x.shape && y.dtype === x.dtype && y.batch === 1)?.peer ?? null;
        return [
          x.shape, String(x.batch), cell(x.peer), cell(x.opt), cell(x.sllm),
          peer ? `${(x.opt.median / peer.median).toFixed(2)}×` : '-', peer ? `${(x.sllm.median / peer.median).toFixed(2)}×` : '-',
          `${(x.sllm.median / x.opt.median).toFixed(2)}×`,
          x.batch === 1 ? pct(x.opt.median, x.floorOpt) : '-', x.batch === 1 ? pct(x.sllm.median, x.floorSllm) : '-', x.peer ? pct(x.peer.median, x.floorPeer) : '-', cell(x.readGBs),
          `${fmt(x.bytesOpt / 1e6, 0)} · ${fmt(x.bytesSllm / 1e6, 0)} · ${fmt(x.bytesPeer / 1e6, 0)}`,
        ];
      }),
    ));
  }
  return out.join('\n');
}
