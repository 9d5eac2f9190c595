/**
 * lib/data/rng.ts pinned to golden values: splits, shuffles and resumed runs depend on these
 * exact sequences ("reproducible everywhere"), so any change of the generator or of the hash
 * must fail here (`npm run mutate -- lib/data/rng.ts`). FNV-1a of "abc" is the published
 * 0x1a47e90b.
 */
import test from 'ava';

import { createRng, hashString } from '../../lib/data/rng.js';

test('createRng: the first values, ints, permutations and state of fixed seeds', (t) => {
  const g = createRng(1);
  t.deepEqual([g.next(), g.next(), g.next()], [0.7679323381744325, 0.7298722530249506, 0.6216191351413727]);
  const h = createRng(42);
  t.deepEqual([h.int(10), h.int(10), h.int(1000), h.int(7)], [1, 5, 243, 2]);
  t.is(h.state, 1289775491);
  t.deepEqual(Array.from(createRng(3).permutation(8)), [5, 6, 1, 4, 7, 0, 3, 2]);
  t.deepEqual(Array.from(createRng(3, 12345).permutation(5)), [0, 2, 3, 1, 4]);
  // A restored state continues the sequence exactly.
  const a = createRng(9);
  a.next();
  const b = createRng(0, a.state);
  t.deepEqual([a.next(), a.int(100)], [b.next(), b.int(100)]);
});

test('hashString: FNV-1a 32-bit of every code unit, seeded', (t) => {
  t.is(hashString(''), 0x811c9dc5);
  t.is(hashString('abc'), 0x1a47e90b);
  t.is(hashString('abc', 5), 3259805152);
  t.is(hashString('The jury said.'), 245666317);
  t.not(hashString('abc'), hashString('abd'));
});
