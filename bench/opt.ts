/**
 * OPT token-by-token generation (random weights, float32, greedy, KV cache, lengths forced
 * equal) vs the same shapes in PyTorch eager with a KV cache (bench/reference/opt_generate.py),
 * side by side, alternating, in one run. Decode phase only (after the prompt).
 */
import { join } from 'node:path';

import { OPT, Tokenizer } from '../lib/index.js';
import type { OptConfig } from '../lib/models/optConfig.js';
import { packageRoot } from '../lib/native/loader.js';
import { runPython } from './python.js';
import { fmt, spread, type Spread, table } from './stats.js';

export const optShapes: Record<string, OptConfig> = {
  tiny: { vocabSize: 50272, hidden: 64, ffn: 256, layers: 2, heads: 4, maxPositions: 2048, wordEmbedProjDim: 64, preNorm: true, finalNorm: true, padId: 1, bosId: 2, eosId: 2 },
  '125m': { vocabSize: 50272, hidden: 768, ffn: 3072, layers: 12, heads: 12, maxPositions: 2048, wordEmbedProjDim: 768, preNorm: true, finalNorm: true, padId: 1, bosId: 2, eosId: 2 },
};

export interface OptBenchRow {
  shape: string;
  batch: number;
  ours: Spread;
  pytorch: Spread | null;
  ratio: number | null;
}


export async function benchOpt(options: { shapes?: string[]; batches?: number[]; newTokens?: number; repeats?: number; threads: number }): Promise<{ name: 'opt'; threads: number; newTokens: number; rows: OptBenchRow[] }> {
  const newTokens = options.newTokens ?? 32;
  const repeats = options.repeats ?? 3;
  const prompt = 16;
  const tokenizer = await Tokenizer.builtin('gpt2-opt');
  const rows: OptBenchRow[] = [];
  for (const shape of options.shapes ?? ['125m']) {
    const config = optShapes[shape]!;
    await using opt = await OPT.create(config, { tokenizer, seed: 1 });
    for (const batch of options.batches ?? [1, 8]) {
      const inputIds = Array.from({ length: batch }, (_, b) => Array.from({ length: prompt }, (_, i) => 4 + ((b * 131 + i * 17) % 50000)));
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r <= repeats; r++) {
        let decodeStart = 0;
        const t0 = performance.now();
        await opt.decodeSteps({ inputIds }, { maxNewTokens: newTokens + 1, ignoreEos: true, onStep: (s) => { if (s === 1) decodeStart = performance.now(); } });
        const seconds = (performance.now() - (decodeStart || t0)) / 1000;
        if (r > 0) ours.push((batch * newTokens) / seconds);
      }
      const py = await runPython([join(packageRoot, 'bench', 'reference', 'opt_generate.py'), JSON.stringify(config), String(batch), String(prompt), String(newTokens), String(options.threads), String(repeats)]);
      if (py.code === 0) {
        const out = JSON.parse(py.stdout) as { seconds: number[]; tokens_per_repeat: number };
        theirs.push(...out.seconds.map((s) => out.tokens_per_repeat / s));
      }
      const o = spread(ours);
      const p = theirs.length > 0 ? spread(theirs) : null;
      rows.push({ shape, batch, ours: o, pytorch: p, ratio: p ? o.median / p.median : null });
    }
  }
  return { name: 'opt', threads: options.threads, newTokens, rows };
}

export function renderOpt(r: Awaited<ReturnType<typeof benchOpt>>): string {
  const cell = (s: Spread | null) => (s ? `${fmt(s.median, 1)} (${fmt(s.min, 1)}–${fmt(s.max, 1)})` : 'failed');
  return [
    `OPT token-by-token generation, random weights, float32, greedy, KV cache, ${r.newTokens} new tokens after a 16-token prompt, ${r.threads} threads; output tokens/s, median (min–max) of repeats`,
    table(['shape', 'batch', 'sentencevae', 'PyTorch eager', 'ratio'], r.rows.map((x) => [x.shape, String(x.batch), cell(x.ours), cell(x.pytorch), x.ratio ? x.ratio.toFixed(3) : '-'])),
  ].join('\n');
}
