import test from 'ava';

import { InvalidArgumentError, learningRate } from '../../lib/index.js';

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b);

test('the paper schedule at key steps', (t) => {
  const s = { baseLr: 1e-3 };
  t.true(close(learningRate(0, s), 1e-6), 'starts at 1/1000 of the base');
  t.true(close(learningRate(2500, s), 1e-6 + (1e-3 - 1e-6) / 2), 'linear half way');
  t.true(close(learningRate(5000, s), 1e-3), 'peak after 5K warm-up steps');
  t.true(close(learningRate(15000, s), 5e-4), 'cosine half way down');
  t.true(close(learningRate(25000, s), 0), 'bottom after the 20K period');
  t.true(close(learningRate(45000, s), 1e-3), 'the closed form rises back (as CosineAnnealingLR)');
});

test('every part of the schedule is configurable', (t) => {
  const s = { baseLr: 2, warmupSteps: 10, warmupStartFactor: 0.5, cosinePeriod: 100, minLrFactor: 0.1 };
  t.true(close(learningRate(0, s), 1));
  t.true(close(learningRate(10, s), 2));
  t.true(close(learningRate(110, s), 0.2));
  t.true(close(learningRate(0, { baseLr: 1, warmupSteps: 0 }), 1), 'no warm-up');
  t.throws(() => learningRate(-1, s), { instanceOf: InvalidArgumentError });
  t.throws(() => learningRate(1, { baseLr: 1, cosinePeriod: 0 }), { instanceOf: InvalidArgumentError, message: /cosinePeriod/ });
});
