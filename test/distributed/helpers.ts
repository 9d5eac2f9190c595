import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

import { loadSafetensors } from '../../lib/index.js';
import type { WorkerJob } from './worker.js';

export const workerScript = fileURLToPath(new URL('./worker.js', import.meta.url));
export const cliScript = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  /** Killed by this harness after `limitMs`: the child hung. */
  hung: boolean;
}

/** Runs a Node script as a child process; kills it (hung: true) if it outlives `limitMs`. */
export function runNode(args: readonly string[], env: NodeJS.ProcessEnv, limitMs: number): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, SENTENCEVAE_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, stdout, hung });
    });
  });
}

/** Placement variables of one rank, as a launcher sets them. */
export function rankEnv(rank: number, worldSize: number, port: number): NodeJS.ProcessEnv {
  return { RANK: String(rank), WORLD_SIZE: String(worldSize), LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
}

/** Runs `worldSize` workers of one job (each rank its own process); world size 1 runs without a group. */
export async function runWorkers(job: WorkerJob, worldSize: number, limitMs = 120_000): Promise<Exit[]> {
  const port = await freePort();
  const envOf = (rank: number) => (worldSize === 1 ? { RANK: '', WORLD_SIZE: '' } : rankEnv(rank, worldSize, port));
  return Promise.all(Array.from({ length: worldSize }, (_, rank) => runNode([workerScript, JSON.stringify(job)], envOf(rank), limitMs)));
}

/**
 * The self-attention key biases: their exact gradient is 0 (q·(k + b) adds q·b to every logit of
 * a query's row, and softmax ignores a constant), so only float rounding noise moves them, which
 * AdamW divides by its own size. Two different summation orders (two ranks, or one process with
 * another thread count) give different noise: they are compared separately (noiseOnly).
 */
export const zeroGradient = /self_attn\.k_proj\.bias$/;

/** Largest relative difference ||a - b|| / ||b|| over the tensors of two safetensors files (except those `skip` matches). */
export async function maxRelativeDifference(a: string, b: string, skip?: RegExp): Promise<{ max: number; worst: string; names: number }> {
  const [x, y] = await Promise.all([loadSafetensors(a), loadSafetensors(b)]);
  let max = 0;
  let worst = '';
  for (const [name, t] of y) {
    if (skip?.test(name)) continue;
    const u = x.get(name);
    if (!u) return { max: Infinity, worst: `${name} missing`, names: y.size };
    const [p, q] = (await Promise.all([u.toArray(), t.toArray()])) as [Float32Array, Float32Array];
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < q.length; i++) {
      diff += (p[i]! - q[i]!) ** 2;
      norm += q[i]! ** 2;
    }
    const rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
    if (rel > max) [max, worst] = [rel, name];
  }
  for (const t of [...x.values(), ...y.values()]) t.dispose();
  return { max, worst, names: y.size };
}
