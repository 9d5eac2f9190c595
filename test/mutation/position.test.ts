/**
 * lib/data/position.ts, for `npm run mutate -- lib/data/position.ts`: positions checked and named,
 * a cursor that starts at a restored position, wraps at the end of each epoch to the next epoch's
 * plan, refuses an empty plan, and shards that cut each global batch into contiguous slices
 * (short global batches skipped by every rank) while sharing the cursor's position.
 */
import test from 'ava';

import { BatchCursor, checkPosition, CursorBatches } from '../../lib/data/position.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { bucketBatches } from '../../lib/text/batch.js';

const any = (v: unknown) => v as never;
const bad = (message: string | RegExp) => ({ instanceOf: InvalidArgumentError, message });
const lengths = Int32Array.from({ length: 10 }, (_, i) => 2 + ((i * 7) % 11));
/** Epoch e: 10 items in batches of 4, 4, 2 (in a seeded order), and which epoch made them. */
const plans: number[] = [];
const plan = (epoch: number) => {
  plans.push(epoch);
  return bucketBatches(lengths, { batchSize: 4, seed: epoch, windowBatches: 1 });
};

test('checkPosition: { epoch >= 0, batch >= 0 }, each field named', (t) => {
  t.deepEqual(checkPosition({ epoch: 0, batch: 0 }), { epoch: 0, batch: 0 });
  t.deepEqual(checkPosition({ epoch: 3, batch: 7, extra: 1 }), { epoch: 3, batch: 7 });
  t.throws(() => checkPosition(null), bad(/^Expected \{ epoch, batch \} for position but received null/));
  t.throws(() => checkPosition(5), bad(/^Expected \{ epoch, batch \} for position but received 5/));
  t.throws(() => checkPosition(undefined), bad(/^Expected \{ epoch, batch \} for position but received/));
  t.throws(() => checkPosition({ epoch: -1, batch: 0 }), bad('Expected integer >= 0 for position.epoch but received -1 of type number'));
  t.throws(() => checkPosition({ epoch: 0, batch: -1 }), bad('Expected integer >= 0 for position.batch but received -1 of type number'));
  t.throws(() => checkPosition({ epoch: 0 }), bad(/for position.batch but received/));
});

test('BatchCursor: epoch by epoch, each its own plan; a position resumes exactly; restore re-plans', (t) => {
  const a = new BatchCursor(plan);
  t.deepEqual(a.position, { epoch: 0, batch: 0 });
  const taken = Array.from({ length: 7 }, () => a.next());
  t.deepEqual(taken, [...plan(0), ...plan(1), plan(2)[0]]);
  t.deepEqual(a.position, { epoch: 2, batch: 1 });
  plans.length = 0;
  const b = new BatchCursor(plan, { epoch: 1, batch: 2 });
  t.deepEqual(b.position, { epoch: 1, batch: 2 });
  t.deepEqual(b.next(), plan(1)[2]);
  t.deepEqual(b.next(), plan(2)[0]);
  b.restore({ epoch: 0, batch: 1 });
  t.deepEqual(b.position, { epoch: 0, batch: 1 });
  t.deepEqual(b.next(), plan(0)[1]);
  const c = new BatchCursor(plan, { epoch: 4, batch: 3 });
  t.deepEqual(c.next(), plan(5)[0], 'a position at the end of an epoch starts the next one');
  t.deepEqual(c.position, { epoch: 5, batch: 1 });
  plans.length = 0;
  const d = new BatchCursor(plan);
  for (let i = 0; i < 6; i++) d.next();
  t.deepEqual(plans, [0, 1], 'each epoch planned once');
  t.throws(() => new BatchCursor(plan, any({ epoch: 'x', batch: 0 })), bad(/for position.epoch/));
  t.throws(() => d.restore(any(null)), bad(/for position but received null/));
});

test('BatchCursor: an empty plan is a RangeError, not an endless loop', (t) => {
  const empty = new BatchCursor(() => []);
  t.throws(() => empty.next(), { instanceOf: RangeError, message: 'The dataset is empty: there is no batch to take' });
});

test('CursorBatches: make() of each index batch; position and restore go to the cursor', (t) => {
  const batches = new CursorBatches(new BatchCursor(plan), (indices) => indices.map((i) => lengths[i]));
  t.deepEqual(batches.next(), plan(0)[0]!.map((i) => lengths[i]));
  t.deepEqual(batches.position, { epoch: 0, batch: 1 });
  batches.restore({ epoch: 1, batch: 1 });
  t.deepEqual(batches.position, { epoch: 1, batch: 1 });
  t.deepEqual(batches.next(), plan(1)[1]!.map((i) => lengths[i]));
});

test('shard: contiguous slices of every global batch; a batch shorter than the world is skipped by all; shared position', (t) => {
  const global = new BatchCursor(plan);
  const expectedGlobal = Array.from({ length: 6 }, () => global.next()); // two epochs of 4, 4 and 2 items, in a seeded order
  const slice = (b: number[], r: number, w: number) => b.slice(Math.floor((r * b.length) / w), Math.floor(((r + 1) * b.length) / w));
  for (const world of [1, 3, 4]) {
    for (let rank = 0; rank < world; rank++) {
      const shard = new CursorBatches(new BatchCursor(plan), (i) => i).shard(rank, world);
      const want = expectedGlobal.filter((b) => b.length >= world).slice(0, 3).map((b) => slice(b, rank, world));
      t.deepEqual(Array.from({ length: 3 }, () => shard.next()), want, `rank ${rank} of ${world}`);
    }
  }
  // World 3: rank 0 gets 1 item of 4, rank 1 gets 1, rank 2 gets 2 (floor boundaries).
  t.deepEqual([0, 1, 2].map((r) => slice([10, 11, 12, 13], r, 3)), [[10], [11], [12, 13]]);
  const parent = new CursorBatches(new BatchCursor(plan), (i) => i);
  const shard = parent.shard(1, 2);
  shard.next();
  shard.next();
  t.deepEqual(shard.position, { epoch: 0, batch: 2 });
  t.deepEqual(parent.position, shard.position, 'the shard moves its parent cursor');
  shard.next(); // every batch (the 2-item one too) is long enough for a world of 2
  t.deepEqual(shard.position, { epoch: 0, batch: 3 });
  t.true(plan(0).some((b) => b.length === 2));
  shard.restore({ epoch: 1, batch: 0 });
  t.deepEqual(parent.position, { epoch: 1, batch: 0 });
  t.deepEqual(shard.next(), slice(plan(1)[0]!, 1, 2));
  // Three slices of a world of 3 take 4 global batches: one of them is epoch 0's 2-item batch.
  const three = new CursorBatches(new BatchCursor(plan), (i) => i).shard(0, 3);
  for (let i = 0; i < 3; i++) three.next();
  const walk = new BatchCursor(plan);
  for (let taken = 0; taken < 3;) if (walk.next().length >= 3) taken++;
  t.deepEqual(three.position, walk.position);
  t.is(walk.position.epoch, 1, 'more than the 3 batches of epoch 0 were taken');
  t.throws(() => parent.shard(0, 0), bad('Expected integer >= 1 for worldSize but received 0 of type number'));
  t.throws(() => parent.shard(2, 2), bad('Expected integer between 0 and 1 for rank but received 2 of type number'));
  t.throws(() => parent.shard(-1, 2), bad(/for rank but received -1/));
  t.notThrows(() => parent.shard(0, 1));
});
