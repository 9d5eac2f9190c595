/**
 * `sentencevae launch --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P]
 * -- <train-vae | train-sllm | script.js> [args]`: starts this machine's workers of a
 * data-parallel run with the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK,
 * LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), splits the cores between them, forwards
 * SIGINT/SIGTERM, and exits non-zero with the failing rank's message when a worker dies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { expectInteger, expectString } from '../validate.js';
import { parseFlags } from './args.js';

export const launchUsage = `Usage: sentencevae launch --nproc-per-node N [flags] -- <command> [args]

  <command>                train-vae | train-sllm | a script (.js, .mjs, .cjs; .ts where Node runs it)
  --nproc-per-node N       workers on this machine (one rank each)
  --nnodes M               machines in the run (default: 1)
  --node-rank R            this machine's index in [0, M) (default: 0)
  --master-addr A          rank 0's machine (default: 127.0.0.1)
  --master-port P          rank 0's rendezvous port (default: 29500)
  --threads T              LibTorch threads per worker (default: this machine's cores / N, at least 1)

Every worker gets RANK = R * N + its local rank, WORLD_SIZE = M * N, LOCAL_RANK, LOCAL_WORLD_SIZE,
MASTER_ADDR, MASTER_PORT, SENTENCEVAE_THREADS and OMP_NUM_THREADS. The Trainer reads them
(docs/distributed.md). Run the same command on every machine with its own --node-rank.`;

const cliMain = fileURLToPath(new URL('./main.js', import.meta.url));
const commands = new Set(['train-vae', 'train-sllm']);
const tailLines = 20;

interface Worker {
  rank: number;
  localRank: number;
  child: ChildProcess;
  tail: string[];
  exited: boolean;
}

/** The argv of a worker: a CLI training command, or a user's script run by this Node. */
function workerArgv(target: string, args: readonly string[]): string[] {
  if (commands.has(target)) return [cliMain, target, ...args];
  if (['.js', '.mjs', '.cjs', '.ts', '.mts'].includes(extname(target))) return [resolve(target), ...args];
  throw new InvalidArgumentError(`Expected train-vae, train-sllm or a script (.js, .mjs, .cjs) after -- but received '${target}' of type string`);
}

/** Forwards a child's output line by line with a `[rank R] ` prefix (rank 0's stdout unprefixed: it is the run's result). */
function pipeLines(stream: NodeJS.ReadableStream | null, out: NodeJS.WritableStream, prefix: string, tail?: string[]): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  const emit = (line: string) => {
    out.write(`${prefix}${line}\n`);
    if (tail) {
      tail.push(line);
      if (tail.length > tailLines) tail.shift();
    }
  };
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      emit(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (pending) emit(pending);
    pending = '';
  });
}

export async function launch(argv: readonly string[]): Promise<number> {
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  if (own.includes('--help') || split < 0) {
    if (split < 0 && !own.includes('--help')) {
      process.stderr.write(`sentencevae launch: expected -- and a command after the launcher's flags\n\n${launchUsage}\n`);
      return 2;
    }
    console.log(launchUsage);
    return 0;
  }
  const [target, ...args] = argv.slice(split + 1);
  if (target === undefined) throw new InvalidArgumentError(`Expected train-vae, train-sllm or a script after -- but received nothing`);
  const f = parseFlags(own, { 'nproc-per-node': 'number', nnodes: 'number', 'node-rank': 'number', 'master-addr': 'string', 'master-port': 'number', threads: 'number' });
  if (f['nproc-per-node'] === undefined) throw new InvalidArgumentError('Expected --nproc-per-node N (workers on this machine) but it is missing');
  const nproc = expectInteger(f['nproc-per-node'], '--nproc-per-node', 1, 1024);
  const nnodes = expectInteger(f.nnodes ?? 1, '--nnodes', 1, 1 << 16);
  const nodeRank = expectInteger(f['node-rank'] ?? 0, '--node-rank', 0, nnodes - 1);
  const masterAddr = expectString(f['master-addr'] ?? process.env.MASTER_ADDR ?? '127.0.0.1', '--master-addr');
  const masterPort = expectInteger(f['master-port'] ?? (process.env.MASTER_PORT ? Number(process.env.MASTER_PORT) : 29500), '--master-port', 1, 65535);
  const threads = expectInteger(f.threads ?? Math.max(1, Math.floor(availableParallelism() / nproc)), '--threads', 1, 4096);
  const argvOfWorker = workerArgv(target, args);
  const worldSize = nnodes * nproc;

  const workers: Worker[] = [];
  let failure: { worker: Worker; code: number | null; signal: NodeJS.Signals | null } | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stopAll = (signal: NodeJS.Signals) => {
    for (const w of workers) if (!w.exited) w.child.kill(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`[launch] ${signal}: forwarding to the workers\n`);
    stopAll(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (let local = 0; local < nproc; local++) {
      const rank = nodeRank * nproc + local;
      const env = {
        ...process.env,
        RANK: String(rank), WORLD_SIZE: String(worldSize), LOCAL_RANK: String(local), LOCAL_WORLD_SIZE: String(nproc),
        GROUP_RANK: String(nodeRank), MASTER_ADDR: masterAddr, MASTER_PORT: String(masterPort),
        SENTENCEVAE_THREADS: String(threads), OMP_NUM_THREADS: String(threads),
      };
      // Its own process group: a terminal's Ctrl-C reaches the launcher only, which forwards it
      // once (a second SIGINT would stop a worker at once instead of after the current update).
      const child = spawn(process.execPath, argvOfWorker, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const w: Worker = { rank, localRank: local, child, tail: [], exited: false };
      pipeLines(child.stdout, process.stdout, rank === 0 ? '' : `[rank ${rank}] `);
      pipeLines(child.stderr, process.stderr, `[rank ${rank}] `, w.tail);
      workers.push(w);
    }
    const exits = workers.map((w) => new Promise<void>((resolveExit) => {
      w.child.on('error', (error) => {
        w.tail.push(error.message);
      });
      w.child.on('close', (code, signal) => {
        w.exited = true;
        if ((code !== 0 || signal !== null) && failure === undefined) {
          failure = { worker: w, code, signal };
          // The others would fail at their next collective anyway; stop them now, and for good
          // if they do not exit within 30 s.
          stopAll('SIGTERM');
          killTimer = setTimeout(() => stopAll('SIGKILL'), 30_000);
          killTimer.unref();
        }
        resolveExit();
      });
    }));
    await Promise.all(exits);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (killTimer) clearTimeout(killTimer);
  }
  if (failure === undefined) return 0;
  const { worker, code, signal } = failure;
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
  const last = worker.tail.filter((l) => l.trim() !== '').slice(-3).join('\n  ');
  process.stderr.write(`[launch] rank ${worker.rank} (local rank ${worker.localRank}, pid ${worker.child.pid}) ${how}${last ? `:\n  ${last}` : ''}\n`);
  return signal !== null ? 128 + (signalNumber(signal) ?? 1) : code === 0 || code === null ? 1 : code;
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6 } as Record<string, number>)[signal];
}
