// Data-parallel training equals one process with the whole batch: 2 ranks × B/2 vs 1 × B, after
// 10 updates, ≤ 1e-5 relative per tensor (dropout off), for the SentenceVAE and the SLLM, with and
// without gradient accumulation. Real c10d (TCPStore + Gloo) over 127.0.0.1, one process per rank.
// The self-attention key biases are left out of the comparison (helpers.ts, zeroGradient): their
// exact gradient is 0, so AdamW turns each run's own rounding noise into their updates.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { cliScript, freePort, maxRelativeDifference, runNode, runWorkers, workerScript, zeroGradient } from './helpers.js';
import type { WorkerJob } from './worker.js';

const cases: { kind: WorkerJob['kind']; accumulation: number; batchSize: number; viaLauncher: boolean }[] = [
  { kind: 'svae', accumulation: 1, batchSize: 8, viaLauncher: true },
  { kind: 'svae', accumulation: 2, batchSize: 4, viaLauncher: false },
  { kind: 'sllm', accumulation: 1, batchSize: 4, viaLauncher: false },
  { kind: 'sllm', accumulation: 2, batchSize: 2, viaLauncher: false },
];

for (const c of cases) {
  test.serial(`${c.kind}, accumulation ${c.accumulation}: 2 ranks × ${c.batchSize / 2} give the weights of 1 process × ${c.batchSize} after 10 updates`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'svae-dp-'));
    const job = (name: string): WorkerJob => ({
      kind: c.kind, out: join(root, name), dump: join(root, `${name}-weights`), batchSize: c.batchSize, accumulation: c.accumulation,
      maxSteps: 10, timeoutSeconds: 60,
    });
    const one = runWorkers(job('one'), 1);
    let two;
    if (c.viaLauncher) {
      // The same job through `sentencevae launch` (it sets RANK, WORLD_SIZE, ... for each worker).
      const port = await freePort();
      const launched = await runNode([cliScript, 'launch', '--nproc-per-node', '2', '--master-port', String(port), '--threads', '1', '--', workerScript, JSON.stringify(job('two'))], {}, 180_000);
      t.is(launched.code, 0, launched.stderr);
      two = [launched];
    } else {
      two = await runWorkers(job('two'), 2);
    }
    const single = await one;
    for (const e of [...single, ...two]) t.true(e.code === 0 && !e.hung, e.stderr);
    const vsOne = await maxRelativeDifference(join(root, 'two-weights', 'rank0.safetensors'), join(root, 'one-weights', 'rank0.safetensors'), zeroGradient);
    const ranksAgree = await maxRelativeDifference(join(root, 'two-weights', 'rank1.safetensors'), join(root, 'two-weights', 'rank0.safetensors'));
    t.log(`max relative difference vs 1 process: ${vsOne.max.toExponential(2)} (${vsOne.worst}); rank 1 vs rank 0: ${ranksAgree.max}`);
    t.true(vsOne.names > 5);
    t.true(vsOne.max <= 1e-5, `${vsOne.worst}: ${vsOne.max}`);
    t.is(ranksAgree.max, 0, 'every rank holds the same weights');
    // The weights moved: runs that never updated would also agree.
    const moved = await maxRelativeDifference(join(root, 'two-weights', 'rank0.safetensors'), join(root, 'two-weights', 'initial.safetensors'));
    t.true(moved.max > 1e-2, `largest change ${moved.max}`);
  });
}
