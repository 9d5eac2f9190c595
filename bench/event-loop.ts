/**
 * `node dist/bench/event-loop.js [--shape 125m|small] [--repeats N] [--dtype float32|float16]`:
 * the longest event-loop block (ms) of Tokenizer.fromPretrained, OPT.load, SLLM.fromOpt and
 * SLLM.load (and dispose() of the models) on a random OPT of the given shape with the full GPT-2/OPT tokenizer (50,265 ids).
 * Prints one JSON line per call and a summary (max over repeats). Issue 16: ≤ 20 ms each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { matmul, OPT, randn, SLLM, Tokenizer, type OptConfig } from '../lib/index.js';
import { measureLoopBlock } from './loopBlock.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const shapeName = flag('--shape', '125m');
const repeats = Number(flag('--repeats', '3'));
const dtype = flag('--dtype', 'float32') as 'float32' | 'float16';

const base = { vocabSize: 50272, maxPositions: 2048, preNorm: true, finalNorm: true, padId: 1, bosId: 2, eosId: 2 };
const shapes: Record<string, OptConfig> = {
  '125m': { ...base, hidden: 768, ffn: 3072, layers: 12, heads: 12, wordEmbedProjDim: 768 },
  small: { ...base, hidden: 256, ffn: 1024, layers: 2, heads: 4, wordEmbedProjDim: 256, maxPositions: 256 },
};

export async function makeOptFolder(shape: OptConfig, type: 'float32' | 'float16' = 'float32'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'svae-loop-opt-'));
  const tokenizer = await Tokenizer.builtin('gpt2-opt');
  const opt = await OPT.create(shape, { tokenizer, seed: 1, dtype: type });
  try {
    await opt.save(dir);
  } finally {
    opt.dispose();
  }
  return dir;
}

async function main(): Promise<void> {
  const shape = shapes[shapeName];
  if (!shape) throw new Error(`--shape: one of ${Object.keys(shapes).join(', ')}`);
  const optDir = await makeOptFolder(shape, dtype);
  const sllmDir = mkdtempSync(join(tmpdir(), 'svae-loop-sllm-'));
  const worst = new Map<string, { gap: number; busy: number }>();
  try {
    for (let r = 0; r < repeats; r++) {
      const report = (op: string, m: { wallMs: number; maxGapMs: number; histogramMaxMs: number; maxBusyMs: number }) => {
        const w = worst.get(op) ?? { gap: 0, busy: 0 };
        worst.set(op, { gap: Math.max(w.gap, m.maxGapMs), busy: Math.max(w.busy, m.maxBusyMs) });
        console.log(JSON.stringify({
          op, repeat: r, shape: shapeName, dtype, wallMs: +m.wallMs.toFixed(1), maxGapMs: +m.maxGapMs.toFixed(1), maxBusyMs: +m.maxBusyMs.toFixed(1), histogramMaxMs: +m.histogramMaxMs.toFixed(1),
        }));
      };
      // What the machine alone does to the ticker (other processes taking the cores): nothing runs here.
      report('baseline (idle 500 ms)', await measureLoopBlock(() => new Promise((resolve) => setTimeout(resolve, 500))));
      // The floor under load: native work keeps the cores busy, the main thread only awaits.
      report('baseline (native matmuls, main thread idle)', await measureLoopBlock(async () => {
        const a = await randn([768, 768]);
        const until = performance.now() + 500;
        while (performance.now() < until) (await matmul(a, a)).dispose();
        a.dispose();
      }));
      report('Tokenizer.fromPretrained', await measureLoopBlock(() => Tokenizer.fromPretrained(optDir)));
      const opt = await measureLoopBlock(() => OPT.load(optDir, { dtype }));
      report('OPT.load', opt);
      report('OPT.dispose', await measureLoopBlock(async () => opt.result.dispose()));
      const sllm = await measureLoopBlock(() => SLLM.fromOpt(optDir, { svae: { layers: 1 }, dtype }));
      report('SLLM.fromOpt', sllm);
      if (r === 0) await sllm.result.save(sllmDir);
      sllm.result.dispose();
      const loaded = await measureLoopBlock(() => SLLM.load(sllmDir, { dtype }));
      report('SLLM.load', loaded);
      report('SLLM.dispose', await measureLoopBlock(async () => loaded.result.dispose()));
    }
  } finally {
    rmSync(optDir, { recursive: true, force: true });
    rmSync(sllmDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({
    summary: 'max over repeats (ms): gap between 1 ms ticks / loop busy between ticks', shape: shapeName, dtype,
    ...Object.fromEntries([...worst].map(([k, v]) => [k, `${v.gap.toFixed(1)} / ${v.busy.toFixed(1)}`])),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
