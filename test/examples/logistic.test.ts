// The hashed logistic regression behind examples/stop-signal-brown.ts: it must learn what is there
// (a separable toy set) and claim no more than is there (a feature that is right 70% of the time
// gets P ≈ 0.7, not ≈ 1; no threshold beats the Bayes rate on it), be deterministic per seed, and
// compute thresholds and metrics exactly as counted by hand.
import test from 'ava';

import { bestThreshold, binaryMetrics, fnv1a, hashFeatures, type SparseVector, trainLogistic } from '../../examples/lib/logistic.js';
import { InvalidArgumentError } from '../../lib/index.js';

const buckets = 1 << 12;

test('a separable toy set is learned: every row right, confident probabilities', (t) => {
  const rows: SparseVector[] = [], labels: number[] = [];
  for (let i = 0; i < 200; i++) {
    const y = i % 3 === 0 ? 1 : 0;
    rows.push(hashFeatures([y === 1 ? 'word:yes' : 'word:no', `noise:${i % 7}`], buckets));
    labels.push(y);
  }
  const model = trainLogistic(rows, labels, { buckets, epochs: 5, learningRate: 0.5, l2: 0.1, seed: 1 });
  const p = rows.map((x) => model.probability(x));
  t.is(binaryMetrics(p, labels, 0.5).accuracy, 1);
  t.true(Math.min(...p.filter((_, i) => labels[i] === 1)) > 0.9);
  t.true(Math.max(...p.filter((_, i) => labels[i] === 0)) < 0.1);
});

test('a non-separable set is not over-claimed: P matches the label frequency, accuracy the Bayes rate', (t) => {
  // Feature a (even i): label 1 in 4 of 5 rows (i % 10 in 0, 2, 4, 6); feature b (odd i): in 1 of 5
  // (i % 10 = 1). Nothing else is known, so the best any rule can do is 80%.
  const rows: SparseVector[] = [], labels: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const a = i % 2 === 0;
    const y = a ? (i % 10 < 7 ? 1 : 0) : (i % 10 < 2 ? 1 : 0);
    rows.push(hashFeatures([a ? 'f:a' : 'f:b'], buckets));
    labels.push(y);
  }
  const model = trainLogistic(rows, labels, { buckets, epochs: 5, seed: 0 });
  const pa = model.probability(hashFeatures(['f:a'], buckets));
  const pb = model.probability(hashFeatures(['f:b'], buckets));
  t.true(Math.abs(pa - 0.8) < 0.05, `P(1 | a) = ${pa}`);
  t.true(Math.abs(pb - 0.2) < 0.05, `P(1 | b) = ${pb}`);
  const p = rows.map((x) => model.probability(x));
  const bayes = 0.8; // say 1 on a, 0 on b
  t.is(binaryMetrics(p, labels, 0.5).accuracy, bayes);
  t.is(bestThreshold(p, labels).accuracy, bayes);
});

test('the same data, options and seed give bitwise the same weights; another seed another order', (t) => {
  const rows = Array.from({ length: 300 }, (_, i) => hashFeatures([`a:${i % 5}`, `b:${i % 11}`], buckets));
  const labels = rows.map((_, i) => (i % 5 === 0 || i % 11 === 3 ? 1 : 0));
  const one = trainLogistic(rows, labels, { buckets, seed: 3 });
  const two = trainLogistic(rows, labels, { buckets, seed: 3 });
  const other = trainLogistic(rows, labels, { buckets, seed: 4 });
  t.deepEqual(one.weights, two.weights);
  t.is(one.bias, two.bias);
  t.notDeepEqual(one.weights, other.weights);
});

test('bestThreshold and binaryMetrics count as by hand', (t) => {
  const p = [0.9, 0.8, 0.8, 0.4, 0.3, 0.1];
  const y = [1, 0, 1, 1, 0, 0];
  // Cuts: never 1 → 3/6; ≥ 0.9 → 4/6; ≥ 0.8 → 4/6 (tie: keep the higher cut); ≥ 0.4 → 5/6; ≥ 0.3 → 4/6; ≥ 0.1 → 3/6.
  t.deepEqual(bestThreshold(p, y), { threshold: 0.4, accuracy: 5 / 6 });
  t.deepEqual(binaryMetrics(p, y, 0.5), { accuracy: 4 / 6, precision: 2 / 3, recall: 2 / 3, predictedPositive: 3 });
  const never = binaryMetrics(p, y, 2);
  t.true(Number.isNaN(never.precision));
  t.is(never.accuracy, 0.5);
});

test('hashing is stable and bad inputs are typed errors', (t) => {
  t.is(fnv1a(''), 0x811c9dc5);
  t.is(fnv1a('a'), 0xe40c292c); // the published FNV-1a test vector
  const x = hashFeatures(['w:x', ['n', 0.5]], 16);
  t.deepEqual(Array.from(x.values), [1, 0.5]);
  t.true(x.indices.every((j) => j >= 0 && j < 16));
  const rows = [hashFeatures(['a'], buckets)];
  t.throws(() => trainLogistic(rows, [2]), { instanceOf: InvalidArgumentError, message: 'Expected 0 or 1 for labels[0] but received 2 of type number' });
  t.throws(() => trainLogistic(rows, [1, 0]), { instanceOf: InvalidArgumentError, message: /Expected 1 labels/ });
  t.throws(() => trainLogistic(rows, [1], { buckets: 0 }), { instanceOf: InvalidArgumentError, message: /for buckets but received 0 of type number/ });
  t.throws(() => trainLogistic([hashFeatures(['a'], 1 << 20)], [1], { buckets: 16 }), { instanceOf: InvalidArgumentError });
});
