/**
 * `npm run bench [-- <names...>] [--repeats N] [--out file.json]`: runs the benchmarks, prints
 * tables, writes JSON (default bench/results/latest.json). Not part of `npm test`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { info } from '../lib/index.js';
import { packageRoot } from '../lib/native/loader.js';
import { benchOpt, renderOpt } from './opt.js';
import { benchSvae, renderSvae } from './svae.js';
import { benchTextPipeline, renderTextPipeline } from './text-pipeline.js';
import { benchTrainVsPytorch, renderTrainVsPytorch } from './train-vs-pytorch.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const repeats = Number(flag('--repeats') ?? 5);
const out = flag('--out') ?? join(packageRoot, 'bench', 'results', 'latest.json');
const selected = args.length > 0 ? args : ['text-pipeline', 'svae', 'train-vs-pytorch', 'opt'];

const benches: Record<string, () => Promise<{ result: unknown; text: string }>> = {
  'text-pipeline': async () => {
    const result = await benchTextPipeline({ repeats });
    return { result, text: renderTextPipeline(result) };
  },
  'train-vs-pytorch': async () => {
    const result = await benchTrainVsPytorch({ threads: info().threads, rounds: 3 });
    return { result, text: renderTrainVsPytorch(result) };
  },
  opt: async () => {
    const result = await benchOpt({ threads: info().threads, repeats: Math.min(repeats, 3) });
    return { result, text: renderOpt(result) };
  },
  svae: async () => {
    const result = await benchSvae({ repeats: Math.min(repeats, 3), threads: info().threads });
    return { result, text: renderSvae(result) };
  },
};

const results: Record<string, unknown> = {};
const { buildConfig, ...runtime } = info();
for (const name of selected) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark '${name}'; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  const { result, text } = await bench();
  results[name] = result;
  console.log(`\n${text}\n`);
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(), runtime, results }, null, 2)}\n`);
console.log(`wrote ${out}`);
