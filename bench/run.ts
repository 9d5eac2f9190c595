/**
 * `npm run bench [-- <names...>] [--quick] [--calls N] [--cycles N] [--repeats N] [--out file.json] [--shapes tiny,125m,350m,1.3b]
 * [--svae 1,2,4] [--batches 1,8] [--clients 1,4,16,64] [--dtypes float32,bfloat16,int8] [--sentences N] [--no-peer]
 * [--kernel-shapes 8192x2048,3072x768]`: runs the benchmarks, prints tables, writes JSON (default
 * bench/results/latest.json). Not part of `npm test`. `serve` runs its models in the first of --dtypes (default float32).
 * `npm run bench -- accuracy --opt <dir> --sllm <dir> --svae <dir> [--data brown] [--limit N] [--dtypes bfloat16,int8]`: issue 13's
 * accuracy bars on trained checkpoints (bench/accuracy.ts; there --svae is a SentenceVAE folder; JSON default bench/results/accuracy.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { info, type InferenceDType } from '../lib/index.js';
import { packageRoot } from '../lib/native/loader.js';
import { benchAccuracy, renderAccuracy } from './accuracy.js';
import { benchDistributed, renderDistributed } from './distributed.js';
import { benchOpt, renderOpt } from './opt.js';
import { benchPeers, renderPeers } from './peers.js';
import { benchKernels, renderKernels } from './kernels.js';
import { barChart } from './chart.js';
import { benchServe, renderServe } from './serve.js';
import { benchSllm, renderSllm } from './sllm.js';
import { benchSoak, renderSoak } from './soak.js';
import { benchSvae, renderSvae } from './svae.js';
import { benchTextPipeline, renderTextPipeline } from './text-pipeline.js';
import { benchTrainVsPytorch, renderTrainVsPytorch } from './train-vs-pytorch.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const repeats = Number(flag('--repeats') ?? 5);
const soakCalls = flag('--calls');
const soakCycles = flag('--cycles');
const quick = args.includes('--quick');
if (quick) args.splice(args.indexOf('--quick'), 1);
const list = (name: string) => flag(name)?.split(',');
// `accuracy` takes model folders: there --svae names a SentenceVAE folder, not the sllm bench's layer counts.
const accuracyArgs = args.includes('accuracy')
  ? { opt: flag('--opt'), sllm: flag('--sllm'), svae: flag('--svae'), data: flag('--data'), limit: flag('--limit') }
  : undefined;
const shapes = list('--shapes');
const svaeLayers = list('--svae')?.map(Number);
const batches = list('--batches')?.map(Number);
const clients = list('--clients')?.map(Number);
const dtypes = list('--dtypes');
const sentences = flag('--sentences');
// kernels: weight shapes out×in (default: the four of bench/kernels.ts).
const kernelShapes = list('--kernel-shapes')?.map((x) => x.split('x').map(Number) as [number, number]);
const noPeer = args.includes('--no-peer');
if (noPeer) args.splice(args.indexOf('--no-peer'), 1);
const out = flag('--out') ?? join(packageRoot, 'bench', 'results', args.length === 1 && args[0] === 'accuracy' ? 'accuracy.json' : 'latest.json');
mkdirSync(dirname(out), { recursive: true });
const selected = args.length > 0 ? args : ['text-pipeline', 'svae', 'train-vs-pytorch', 'opt', 'sllm'];

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
  sllm: async () => {
    const result = await benchSllm({
      threads: info().threads, repeats: Math.min(repeats, 3),
      ...(shapes ? { shapes } : {}), ...(svaeLayers ? { svaeLayers } : {}), ...(batches ? { batches } : {}),
    });
    // A chart next to the JSON: tokens/s of OPT and SLLM per row.
    const labels = result.rows.map((x) => `${x.shape} H${x.svaeLayers} b${x.batch}`);
    barChart(join(dirname(out), 'sllm-vs-opt.svg'), `output tokens/s, OPT vs SLLM (${result.threads} threads)`, labels, [
      { name: 'OPT (ours)', color: '#1f77b4', values: result.rows.map((x) => x.opt.median) },
      { name: 'SLLM (ours)', color: '#d62728', values: result.rows.map((x) => x.sllm.median) },
      { name: 'OPT PyTorch eager', color: '#aec7e8', values: result.rows.map((x) => x.pytorchOpt?.median ?? Number.NaN) },
      { name: 'SLLM PyTorch eager', color: '#ff9896', values: result.rows.map((x) => x.pytorchSllm?.median ?? Number.NaN) },
    ], 'tokens/s');
    return { result, text: renderSllm(result) };
  },
  serve: async () => {
    const result = await benchServe({ ...(shapes ? { shapes } : {}), ...(clients ? { clients } : {}), repeats: Math.min(repeats, 2), ...(dtypes ? { dtype: dtypes[0] as InferenceDType } : {}) });
    return { result, text: renderServe(result) };
  },
  soak: async () => {
    const result = await benchSoak({ quick, ...(soakCalls ? { generateCalls: Number(soakCalls) } : {}), ...(soakCycles ? { cycles: Number(soakCycles) } : {}) });
    return { result, text: renderSoak(result) };
  },
  // Ours in every dtype vs llama.cpp (node-llama-cpp, installed on demand) at equal weight bytes.
  peers: async () => {
    const result = await benchPeers({
      threads: info().threads, repeats: Math.min(repeats, 5), noPeer,
      ...(shapes ? { shapes } : {}), ...(dtypes ? { dtypes } : {}), ...(batches ? { batches } : {}), ...(sentences ? { sentences: Number(sentences) } : {}),
    });
    return { result, text: renderPeers(result) };
  },
  // One linear at decode sizes: every dtype x kernel path (LibTorch = 'off').
  kernels: async () => {
    const result = await benchKernels({
      threads: info().threads, repeats: Math.min(repeats, 5), ...(batches ? { batches } : {}), ...(dtypes ? { dtypes } : {}),
      ...(quick ? { shapes: [[3072, 768]], calls: 3 } : {}), ...(kernelShapes ? { shapes: kernelShapes } : {}),
    });
    return { result, text: renderKernels(result) };
  },
  distributed: async () => {
    const result = await benchDistributed({ quick, repeats: Math.min(repeats, 3) });
    return { result, text: renderDistributed(result) };
  },
  // bf16 / int8 vs float32 on trained checkpoints: held-out PPL and teacher-forced argmax agreement.
  accuracy: async () => {
    const a = accuracyArgs!;
    const result = await benchAccuracy({
      ...(a.opt === undefined ? {} : { opt: a.opt }), ...(a.sllm === undefined ? {} : { sllm: a.sllm }), ...(a.svae === undefined ? {} : { svae: a.svae }),
      ...(a.data === undefined ? {} : { data: a.data }), ...(a.limit === undefined ? {} : { limit: Number(a.limit) }),
      ...(dtypes ? { dtypes: dtypes as InferenceDType[] } : {}), log: (line) => console.log(line),
    });
    return { result, text: renderAccuracy(result) };
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
