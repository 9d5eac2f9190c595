/**
 * `npm run bench -- distributed [--quick]`: data-parallel training on one machine. The same
 * SentenceVAE training (global batch B, Brown sentences) as 1 process × 2 threads and as
 * 2 processes × 1 thread (Gloo over 127.0.0.1, each rank B/2): training tokens/s, and the time
 * each update spends in the gradient all-reduce. Each configuration runs `repeats` times.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

import type { PresetName } from '../lib/index.js';
import { fmt, spread, type Spread, table } from './stats.js';

const worker = fileURLToPath(new URL('./distributed-worker.js', import.meta.url));

export interface DistributedBenchRow {
  setup: string;
  processes: number;
  threadsPerProcess: number;
  tokensPerSecond: Spread;
  allReduceMsPerUpdate: Spread;
}

export interface DistributedBenchResult {
  name: 'distributed';
  preset: PresetName;
  parameters: number;
  batchSize: number;
  updates: number;
  rows: DistributedBenchRow[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

interface WorkerResult { tokensPerSecond: number; allReduceMsPerUpdate: number; parameters: number }

async function runGroup(processes: number, threads: number, job: object): Promise<WorkerResult> {
  const port = await freePort();
  const runs = Array.from({ length: processes }, (_, rank) => new Promise<string>((resolve, reject) => {
    const env = {
      ...process.env, SENTENCEVAE_THREADS: String(threads), OMP_NUM_THREADS: String(threads),
      ...(processes > 1 ? { RANK: String(rank), WORLD_SIZE: String(processes), LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) } : { RANK: '', WORLD_SIZE: '' }),
    };
    const child = spawn(process.execPath, [worker, JSON.stringify(job)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bench worker rank ${rank} exited with ${code}`))));
  }));
  const outputs = await Promise.all(runs);
  return JSON.parse(outputs[0]!.trim().split('\n').at(-1)!) as WorkerResult;
}

export async function benchDistributed(options: { quick?: boolean; repeats?: number } = {}): Promise<DistributedBenchResult> {
  const preset: PresetName = options.quick ? 'tiny' : 'small';
  const job = { preset, batchSize: options.quick ? 16 : 64, warmup: options.quick ? 2 : 5, updates: options.quick ? 4 : 40 };
  const repeats = options.quick ? 1 : (options.repeats ?? 3);
  const rows: DistributedBenchRow[] = [];
  let parameters = 0;
  for (const [processes, threads] of [[1, 2], [2, 1]] as const) {
    const tps: number[] = [];
    const reduce: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const w = await runGroup(processes, threads, job);
      tps.push(w.tokensPerSecond);
      reduce.push(w.allReduceMsPerUpdate);
      parameters = w.parameters;
    }
    rows.push({ setup: `${processes} process${processes > 1 ? 'es' : ''} × ${threads} thread${threads > 1 ? 's' : ''}`, processes, threadsPerProcess: threads, tokensPerSecond: spread(tps), allReduceMsPerUpdate: spread(reduce) });
  }
  return { name: 'distributed', preset, parameters, batchSize: job.batchSize, updates: job.updates, rows };
}

export function renderDistributed(r: DistributedBenchResult): string {
  return [
    `Data-parallel training, SentenceVAE '${r.preset}' (${r.parameters.toLocaleString('en-US')} parameters), global batch ${r.batchSize} sentences, ${r.updates} timed updates (median, min-max)`,
    table(['setup', 'tokens/s', 'all-reduce ms / update'], r.rows.map((x) => [x.setup, `${fmt(x.tokensPerSecond.median)} (${fmt(x.tokensPerSecond.min)}-${fmt(x.tokensPerSecond.max)})`, `${fmt(x.allReduceMsPerUpdate.median, 1)} (${fmt(x.allReduceMsPerUpdate.min, 1)}-${fmt(x.allReduceMsPerUpdate.max, 1)})`])),
  ].join('\n');
}
