/**
 * lib/data/packed.ts, for `npm run mutate -- lib/data/packed.ts`: sequences of every length
 * (empty ones included) survive the growth of both backing arrays, from tiny capacities and from
 * the defaults, and read back as views with their lengths.
 */
import test from 'ava';

import { PackedSequences } from '../../lib/data/packed.js';

const seqs = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: (i * 7) % 5 }, (_, j) => i * 10 + j - 3));

function check(t: import('ava').ExecutionContext, packed: PackedSequences, want: number[][]) {
  t.is(packed.size, want.length);
  t.is(packed.tokens, want.reduce((n, s) => n + s.length, 0));
  want.forEach((s, i) => {
    t.deepEqual(Array.from(packed.get(i)), s, `sequence ${i}`);
    t.is(packed.length(i), s.length);
  });
  t.deepEqual(Array.from(packed.lengths()), want.map((s) => s.length));
}

test('tiny capacities: both arrays grow, every sequence (empty ones too) reads back', (t) => {
  const want = seqs(40);
  const packed = new PackedSequences(1, 1);
  t.is(packed.size, 0);
  t.is(packed.tokens, 0);
  t.deepEqual(Array.from(packed.lengths()), []);
  for (const s of want) packed.push(s);
  check(t, packed, want);
});

test('a sequence longer than twice the capacity grows the data to fit it at once', (t) => {
  const packed = new PackedSequences(2, 1);
  const long = Array.from({ length: 9 }, (_, i) => i + 1);
  packed.push([7]);
  packed.push(long);
  packed.push(new Int32Array([-1, -2]));
  check(t, packed, [[7], long, [-1, -2]]);
});

test('exactly full capacities, then one more', (t) => {
  const packed = new PackedSequences(4, 2);
  packed.push([1, 2]);
  packed.push([3, 4]);
  check(t, packed, [[1, 2], [3, 4]]);
  packed.push([5]);
  check(t, packed, [[1, 2], [3, 4], [5]]);
});

test('default capacities: past 4,096 sequences and 65,536 tokens', (t) => {
  const packed = new PackedSequences();
  const want: number[][] = [];
  for (let i = 0; i < 5000; i++) {
    const s = Array.from({ length: 1 + (i % 30) }, (_, j) => (i + j) % 50257);
    want.push(s);
    packed.push(s);
  }
  t.true(packed.tokens > 65536);
  check(t, packed, want);
  t.is(packed.get(4999).buffer, packed.get(0).buffer, 'views of one buffer, not copies');
});
