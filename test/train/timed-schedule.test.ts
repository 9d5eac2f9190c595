// Issue 17: the learning-rate schedule follows the wall-clock budget (warm-up + cosine over
// elapsed seconds), pure and deterministic; the Trainer drives it from an injected clock and
// stops exactly at the budget, whatever the step count.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { InvalidArgumentError, Trainer, timedLearningRate, type StepReport } from '../../lib/index.js';
import { scheduledLearningRate } from '../../lib/train/timedSchedule.js';
import { tinySetup } from '../helpers/training.js';

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b);

test('timedLearningRate: warm-up, half cosine to the floor at the budget, the floor after it', (t) => {
  const o = { baseLr: 1e-3, budgetSeconds: 900 };
  // Default warm-up: 3% of the budget (27 s), from 1e-3 × baseLr.
  t.true(close(timedLearningRate(0, o), 1e-6));
  t.true(close(timedLearningRate(13.5, o), 1e-6 + (1e-3 - 1e-6) / 2));
  t.true(close(timedLearningRate(27, o), 1e-3));
  t.true(close(timedLearningRate(27 + (900 - 27) / 2, o), 5e-4));
  t.true(close(timedLearningRate(900, o), 0));
  t.true(close(timedLearningRate(5000, o), 0), 'no rise after the budget (unlike a step cosine past its period)');
  const floor = { baseLr: 2e-3, budgetSeconds: 100, warmupSeconds: 0, minLrFactor: 0.1 };
  t.true(close(timedLearningRate(0, floor), 2e-3));
  t.true(close(timedLearningRate(50, floor), 2e-4 + (1.8e-3 * (1 + Math.cos(Math.PI / 2))) / 2));
  t.true(close(timedLearningRate(100, floor), 2e-4));
  // Monotone after the warm-up.
  let last = Infinity;
  for (let s = 3; s <= 100; s += 0.5) {
    const lr = timedLearningRate(s, { baseLr: 1, budgetSeconds: 100 });
    t.true(lr <= last);
    last = lr;
  }
  // The step schedule is used when no budget is given.
  t.true(close(scheduledLearningRate(5000, 123, { baseLr: 1e-3 }), 1e-3));
  t.true(close(scheduledLearningRate(5000, 450, { baseLr: 1e-3, budgetSeconds: 900, warmupSeconds: 0 }), 5e-4));
});

test('timedLearningRate validates its options (house wording)', (t) => {
  t.throws(() => timedLearningRate(-1, { baseLr: 1, budgetSeconds: 10 }), { instanceOf: InvalidArgumentError, message: /for elapsedSeconds but received -1 of type number/ });
  t.throws(() => timedLearningRate(0, { baseLr: 1, budgetSeconds: 0 }), { instanceOf: InvalidArgumentError, message: /for budgetSeconds but received 0 of type number/ });
  t.throws(() => timedLearningRate(0, { baseLr: 1, budgetSeconds: 10, warmupSeconds: 11 }), { instanceOf: InvalidArgumentError, message: /Expected number between 0 and 10 for warmupSeconds but received 11 of type number/ });
});

test('Trainer with schedule.budgetSeconds: the rate follows the (injected) clock and the run stops at the budget', async (t) => {
  const { vae, train, held } = await tinySetup(1, 0);
  try {
    // A clock that moves 10 s per training batch drawn: elapsed time before update k's rate is 10 (k + 1) s.
    let now = 0;
    const source = train.batches({ batchSize: 8, seed: 1 });
    const batches = {
      next: () => { now += 10_000; return source.next(); },
      get position() { return source.position; },
      restore: (p: Parameters<typeof source.restore>[0]) => source.restore(p),
    };
    const steps: StepReport[] = [];
    const schedule = { baseLr: 1e-3, budgetSeconds: 95, warmupSeconds: 20 };
    const trainer = new Trainer(vae, { out: mkdtempSync(join(tmpdir(), 'svae-timed-')), evalEvery: 0, logEvery: 1, progress: false, schedule, clock: () => now });
    const result = await trainer.run({ batches, validation: held, onStep: (r) => steps.push(r) });
    t.is(result.stopped, 'max-seconds');
    t.is(result.step, 10, 'stops once 95 s have passed: after the 10th update (100 s)');
    t.deepEqual(steps.map((s) => s.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const s of steps) t.true(close(s.lr, timedLearningRate(10 * s.step, schedule)), `update ${s.step}: ${s.lr}`);
    t.true(close(steps.at(-1)!.lr, 0), 'the last update is at the floor (the budget is spent)');
    t.truthy(result.lastEval, 'a run that spent its budget ends with an evaluation of its final weights');
    t.is(result.lastEval?.step, 10);
  } finally {
    vae.dispose();
  }
});
