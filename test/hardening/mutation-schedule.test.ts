/**
 * lib/train/schedule.ts, exactly (issue 15, item 16): each default, each bound of each option,
 * and the shape of the curve between the key steps the existing tests check.
 */
import test from 'ava';

import { InvalidArgumentError, learningRate } from '../../lib/index.js';

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-15 + 1e-12 * Math.abs(b);

test('defaults: 5000 warm-up steps from 1e-3 × base, cosine period 20000, minimum 0', (t) => {
  const explicit = { baseLr: 0.01, warmupSteps: 5000, warmupStartFactor: 1e-3, cosinePeriod: 20000, minLrFactor: 0 };
  for (const step of [0, 1, 2499, 4999, 5000, 5001, 12345, 25000, 30000]) {
    t.is(learningRate(step, { baseLr: 0.01 }), learningRate(step, explicit), `step ${step}`);
  }
  t.true(close(learningRate(1, { baseLr: 1 }), 1e-3 + (1 - 1e-3) / 5000));
});

test('warm-up is linear and reaches the base exactly at warmupSteps; the cosine starts there', (t) => {
  const s = { baseLr: 4, warmupSteps: 4, warmupStartFactor: 0.25, cosinePeriod: 8, minLrFactor: 0.5 };
  t.deepEqual([0, 1, 2, 3].map((k) => learningRate(k, s)), [1, 1.75, 2.5, 3.25]);
  t.is(learningRate(4, s), 4);
  // min = 2; lr = 2 + 2 · (1 + cos(π t / 8)) / 2
  for (const k of [5, 6, 8, 12, 20]) t.true(close(learningRate(k, s), 2 + (1 + Math.cos((Math.PI * (k - 4)) / 8))), `step ${k}`);
  t.true(close(learningRate(12, s), 2), 'the minimum after one period');
});

test('bounds: each option refuses values outside its range and accepts its bounds', (t) => {
  const ok = (o: object, step = 1) => t.notThrows(() => learningRate(step, { baseLr: 1, ...o }));
  const bad = (o: object, name: RegExp, step = 1) => t.throws(() => learningRate(step, { baseLr: 1, ...o }), { instanceOf: InvalidArgumentError, message: name });
  ok({}, 0);
  bad({}, /step/, 0.5);
  bad({}, /step/, -1);
  ok({ baseLr: 0 });
  bad({ baseLr: -1e-9 }, /baseLr/);
  bad({ baseLr: Number.NaN }, /baseLr/);
  ok({ warmupSteps: 0 });
  bad({ warmupSteps: -1 }, /warmupSteps/);
  bad({ warmupSteps: 1.5 }, /warmupSteps/);
  ok({ warmupStartFactor: 0 });
  ok({ warmupStartFactor: 1 });
  bad({ warmupStartFactor: 1.01 }, /warmupStartFactor/);
  bad({ warmupStartFactor: -0.01 }, /warmupStartFactor/);
  ok({ cosinePeriod: 1 });
  bad({ cosinePeriod: 0 }, /cosinePeriod/);
  ok({ minLrFactor: 0 });
  ok({ minLrFactor: 1 });
  bad({ minLrFactor: 1.5 }, /minLrFactor/);
  bad({ minLrFactor: -0.5 }, /minLrFactor/);
  t.is(learningRate(100, { baseLr: 3, warmupSteps: 0, minLrFactor: 1 }), 3, 'minLrFactor 1: constant');
});
