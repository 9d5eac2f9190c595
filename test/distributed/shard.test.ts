// Sharding of the global batch stream: the ranks' slices of a batch are disjoint and cover it,
// every rank's position is the global one (so a checkpoint resumes on any world size).
import test from 'ava';

import { InvalidArgumentError } from '../../lib/index.js';
import { CursorBatches } from '../../lib/internal.js';
import { BatchCursor } from '../../lib/data/position.js';

const plan = (epoch: number) => [[0, 1, 2, 3], [4, 5, 6, 7], [8], [9, 10, 11, 12, 13]].map((b) => b.map((i) => i + 100 * epoch));
const source = () => new CursorBatches(new BatchCursor(plan), (indices) => indices);

test('each rank takes a contiguous slice of every global batch; together they are the batch', (t) => {
  const ranks = [0, 1].map((r) => source().shard(r, 2));
  const got = ranks.map((s) => [s.next(), s.next(), s.next()]);
  t.deepEqual(got[0], [[0, 1], [4, 5], [9, 10]]);
  t.deepEqual(got[1], [[2, 3], [6, 7], [11, 12, 13]], 'the batch of one item is skipped by every rank; an odd batch splits 2 / 3');
  t.deepEqual(ranks[0]!.position, { epoch: 0, batch: 4 });
  t.deepEqual(ranks[0]!.position, ranks[1]!.position);
});

test('the position is the global one: a shard resumes where one process (or another world size) stopped', (t) => {
  const alone = source();
  alone.next();
  const shard = source().shard(2, 4);
  shard.restore(alone.position);
  t.deepEqual(shard.next(), [6]);
  t.deepEqual(shard.next(), [11]);
  t.deepEqual(shard.next(), [102], 'wraps into the next epoch like the global stream');
});

test('bad ranks and world sizes are InvalidArgumentErrors', (t) => {
  t.throws(() => source().shard(2, 2), { instanceOf: InvalidArgumentError, message: /for rank but received 2 of type number/ });
  t.throws(() => source().shard(0, 0), { instanceOf: InvalidArgumentError, message: /worldSize/ });
});
