// Faults of a data-parallel run over real c10d groups (one process per rank, 127.0.0.1): a rank
// that dies mid-run, a wrong MASTER_PORT, a rank that never starts, a rank missing from the
// environment; and the launcher's report of a failing worker. Every child has a deadline: a
// hang is a failure (`hung`), never a stuck suite.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';

import { DistributedContext, DistributedError, InvalidArgumentError, placementFromEnvironment, Tensor } from '../../lib/index.js';
import { cliScript, freePort, maxRelativeDifference, rankEnv, runNode, runWorkers, workerScript, zeroGradient } from './helpers.js';
import type { WorkerJob } from './worker.js';

const exitScript = fileURLToPath(new URL('./exit-worker.js', import.meta.url));
const hangScript = fileURLToPath(new URL('./hang-worker.js', import.meta.url));

test.serial('a rank killed mid-run: the other exits with a DistributedError (no hang); --resume continues from the last checkpoint, on another world size', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'svae-dp-fault-'));
  const job = (name: string, extra: Partial<WorkerJob> = {}): WorkerJob => ({
    kind: 'svae', out: join(root, name), dump: join(root, `${name}-weights`), batchSize: 8, accumulation: 1, maxSteps: 10, timeoutSeconds: 30, ...extra,
  });
  // The reference: one process, 10 updates, uninterrupted.
  const reference = runWorkers(job('reference'), 1);
  const killed = await runWorkers(job('run', { checkpointEvery: 2, killRank: 1, killAtStep: 5 }), 2);
  t.is(killed[1]!.signal, 'SIGKILL');
  t.false(killed[0]!.hung, 'rank 0 did not hang waiting for the dead rank');
  t.is(killed[0]!.code, 1);
  t.regex(killed[0]!.stderr, /DistributedError: rank 0 of 2: all-reduce failed: .*(closed|reset).*\(a peer exited/i);
  const state = JSON.parse(readFileSync(join(root, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!) as { step: number };
  t.true(state.step >= 4, 'rank 0 logged the updates before the failure');

  // Resume the same run folder in ONE process (a different world size): the position counts global batches.
  const [resumed] = await runWorkers(job('run', { resume: true }), 1);
  t.is(resumed!.code, 0, resumed!.stderr);
  const [ref] = await reference;
  t.is(ref!.code, 0, ref!.stderr);
  const d = await maxRelativeDifference(join(root, 'run-weights', 'rank0.safetensors'), join(root, 'reference-weights', 'rank0.safetensors'), zeroGradient);
  t.log(`2 ranks for 4 updates + resume on 1 for 6 vs 1 process for 10: ${d.max.toExponential(2)} (${d.worst})`);
  t.true(d.max <= 1e-5, `${d.worst}: ${d.max}`);
});

test.serial('a peer that hangs: the other rank\'s collective fails with a DistributedError when the timeout runs out', async (t) => {
  const port = await freePort();
  // Rank 1 hangs until its stdin closes, which happens once rank 0 has exited.
  const hung = spawn(process.execPath, [hangScript], { env: { ...process.env, ...rankEnv(1, 2, port), HANG_TIMEOUT: '3' }, stdio: ['pipe', 'ignore', 'ignore'] });
  const rank0 = await runNode([hangScript], { ...rankEnv(0, 2, port), HANG_TIMEOUT: '3' }, 60_000);
  hung.stdin.end();
  await new Promise((resolve) => hung.on('close', resolve));
  t.false(rank0.hung);
  t.is(rank0.code, 1);
  t.regex(rank0.stderr, /DistributedError: rank 0 of 2: all-reduce failed: .*\(a peer exited, or did not answer within the collective timeout of 3 s\)/);
});

test.serial('a wrong MASTER_PORT and a rank that never joins: both ranks fail with a clear DistributedError within the timeout', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'svae-dp-port-'));
  const job: WorkerJob = { kind: 'svae', out: join(root, 'o'), dump: join(root, 'w'), batchSize: 4, accumulation: 1, maxSteps: 2, timeoutSeconds: 3 };
  const [good, wrong] = [await freePort(), await freePort()];
  const [rank0, rank1] = await Promise.all([
    runNode([workerScript, JSON.stringify(job)], rankEnv(0, 2, good), 90_000),
    runNode([workerScript, JSON.stringify(job)], rankEnv(1, 2, wrong), 90_000),
  ]);
  t.false(rank0!.hung || rank1!.hung);
  t.is(rank1!.code, 1);
  t.regex(rank1!.stderr, /DistributedError: rank 1 of 2: could not reach the rendezvous store at 127\.0\.0\.1:\d+ within 3 s .*MASTER_PORT/);
  t.is(rank0!.code, 1);
  t.regex(rank0!.stderr, /DistributedError: rank 0 of 2: the process group did not form within 3 s .*same MASTER_ADDR, MASTER_PORT and WORLD_SIZE/);
});

test('the environment: a world size without a rank, or a rank out of range, is an InvalidArgumentError naming the variable', (t) => {
  t.throws(() => placementFromEnvironment({ WORLD_SIZE: '2', MASTER_PORT: '29500' }), { instanceOf: InvalidArgumentError, message: /for RANK \(environment\) but it is not set \(WORLD_SIZE=2 is\)/ });
  t.throws(() => placementFromEnvironment({ WORLD_SIZE: '2', RANK: '2' }), { instanceOf: InvalidArgumentError, message: /Expected an integer in \[0, 1\] for RANK \(environment\) but received '2'/ });
  t.throws(() => placementFromEnvironment({ WORLD_SIZE: '2', RANK: '0', MASTER_PORT: 'http' }), { instanceOf: InvalidArgumentError, message: /MASTER_PORT/ });
  t.is(placementFromEnvironment({}), undefined);
  t.deepEqual(placementFromEnvironment({ SLURM_NTASKS: '4', SLURM_PROCID: '3', SLURM_LOCALID: '1', MASTER_ADDR: 'node7', MASTER_PORT: '29600' }), {
    rank: 3, worldSize: 4, localRank: 1, masterAddr: 'node7', masterPort: 29600,
  });
});

test.serial('DistributedContext: a group of one; collectives in place; NCCL absent is a typed error; disposed is DisposedError', async (t) => {
  const port = await freePort();
  const dist = await DistributedContext.create({ rank: 0, worldSize: 1, masterPort: port, timeoutSeconds: 10, env: {} });
  t.like(dist, { rank: 0, worldSize: 1, localRank: 0, backend: 'gloo', isMain: true });
  const a = await Tensor.from(new Float32Array([1, 2, 3]));
  await dist.allReduce(new Map([['a', a]]), { op: 'mean' });
  await dist.broadcast({ a });
  await dist.barrier();
  t.deepEqual(Array.from((await a.toArray()) as Float32Array), [1, 2, 3]);
  await t.throwsAsync(dist.allReduce({ a }, { op: 'max' as 'sum' }), { instanceOf: InvalidArgumentError });
  dist.dispose();
  dist.dispose();
  await t.throwsAsync(dist.barrier(), { name: 'DisposedError' });
  if (!DistributedContext.ncclAvailable()) {
    await t.throwsAsync(DistributedContext.create({ rank: 0, worldSize: 1, masterPort: port, backend: 'nccl', env: {} }), { name: 'DeviceError', message: /NCCL/ });
  }
  t.true(new DistributedError('x') instanceof Error);
  a.dispose();
});

test.serial('launch: a worker that fails makes the launcher stop the others and exit non-zero with that rank\'s message', async (t) => {
  const port = await freePort();
  const r = await runNode([cliScript, 'launch', '--nproc-per-node', '2', '--master-port', String(port), '--', exitScript], {}, 60_000);
  t.false(r.hung);
  t.is(r.code, 3);
  t.regex(r.stderr, /\[launch\] rank 1 \(local rank 1, pid \d+\) exited with code 3:\n {2}rank 1 gives up/);
  t.regex(r.stdout, /rank 0 saw RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 MASTER_PORT=\d+ SENTENCEVAE_THREADS=\d+/);
});
