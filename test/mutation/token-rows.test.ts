/**
 * lib/data/tokenRows.ts, for `npm run mutate -- lib/data/tokenRows.ts`: the token row of a
 * paragraph (bos, every sentence's content, eos; where sentence 1 ends), right padding, the int32
 * range of the special ids, and TokenBatches over real Brown paragraph batches (rows, position,
 * restore, shard).
 */
import test from 'ava';

import { ParagraphDataset } from '../../lib/data/ParagraphDataset.js';
import { padRows, paragraphRow, TokenBatches } from '../../lib/data/tokenRows.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';
import { firstBrown } from './brownText.js';

const any = (v: unknown) => v as never;
const min = -(2 ** 31);
const max = 2 ** 31 - 1;

test('paragraphRow: bos, the contents of every sentence, eos; firstEnd just past sentence 1', (t) => {
  const r = paragraphRow([[2, 5, 6], [2, 7], [2], [2, 8, 9]], 0, 3);
  t.deepEqual(Array.from(r.ids), [0, 5, 6, 7, 8, 9, 3]);
  t.is(r.firstEnd, 3);
  const bosOnly = paragraphRow([[2], [2, 7]], 0, 3);
  t.deepEqual(Array.from(bosOnly.ids), [0, 7, 3]);
  t.is(bosOnly.firstEnd, 1, 'a first sentence with no content ends at 1');
  const one = paragraphRow([new Int32Array([2, 4])], 1, 9);
  t.deepEqual(Array.from(one.ids), [1, 4, 9]);
  t.is(one.firstEnd, 2);
  const none = paragraphRow([], 1, 9);
  t.deepEqual(Array.from(none.ids), [1, 9]);
  t.is(none.firstEnd, 1);
});

test('paragraphRow / padRows: special ids over the whole int32 range, and not beyond; errors named', (t) => {
  t.deepEqual(Array.from(paragraphRow([[2, 5]], min, max).ids), [min, 5, max]);
  t.deepEqual(Array.from(paragraphRow([[2, 5]], max, min).ids), [max, 5, min]);
  t.throws(() => paragraphRow([[2, 5]], min - 1, 3), { instanceOf: InvalidArgumentError, message: `Expected integer between ${min} and ${max} for bosId but received ${min - 1} of type number` });
  t.throws(() => paragraphRow([[2, 5]], max + 1, 3), { instanceOf: InvalidArgumentError, message: /for bosId but received 2147483648/ });
  t.throws(() => paragraphRow([[2, 5]], 0, min - 1), { instanceOf: InvalidArgumentError, message: `Expected integer between ${min} and ${max} for eosId but received ${min - 1} of type number` });
  t.throws(() => paragraphRow([[2, 5]], 0, max + 1), { instanceOf: InvalidArgumentError, message: /for eosId but received 2147483648/ });
  t.throws(() => paragraphRow(any('pieces'), 0, 1), { instanceOf: InvalidArgumentError, message: /^Expected array of id arrays for pieces but received/ });
  t.throws(() => paragraphRow([[2, 5], any(7)], 0, 1), { instanceOf: InvalidArgumentError, message: /for pieces\[1\] but received 7/ });
  t.throws(() => paragraphRow([[2, 5], [2], new Int32Array(0)], 0, 1), { instanceOf: InvalidArgumentError, message: /^Expected array of ids with bos first \(at least 1 id\) for pieces\[2\] but received/ });
  t.deepEqual(Array.from(padRows([new Int32Array([1])], min).ids), [1]);
  t.deepEqual(Array.from(padRows([new Int32Array([1]), new Int32Array(0)], max).ids), [1, max]);
  t.throws(() => padRows([new Int32Array([1])], min - 1), { instanceOf: InvalidArgumentError, message: `Expected integer between ${min} and ${max} for padId but received ${min - 1} of type number` });
  t.throws(() => padRows([new Int32Array([1])], max + 1), { instanceOf: InvalidArgumentError, message: /for padId but received 2147483648/ });
  t.throws(() => padRows([new Int32Array([1]), any([1, 2])], 0), { instanceOf: InvalidArgumentError, message: /^Expected Int32Array of token ids for rows\[1\] but received/ });
  t.throws(() => padRows(any('rows'), 0), { instanceOf: InvalidArgumentError, message: /^Expected array of Int32Array rows for rows but received/ });
});

test('padRows: right padding to the longest row, with a 0/1 mask', (t) => {
  const b = padRows([new Int32Array([4, 5]), new Int32Array([6, 7, 8]), new Int32Array(0), new Int32Array([9])], -1);
  t.deepEqual(b.shape, [4, 3]);
  t.deepEqual(Array.from(b.ids), [4, 5, -1, 6, 7, 8, -1, -1, -1, 9, -1, -1]);
  t.deepEqual(Array.from(b.mask), [1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0]);
  const empty = padRows([], 0);
  t.deepEqual(empty.shape, [0, 0]);
  t.is(empty.ids.length, 0);
});

test('TokenBatches: the token rows of real Brown paragraph batches, with their position, restore and shards', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const data = await ParagraphDataset.fromParagraphs(await firstBrown(12), tok, { maxTokens: 24, maxSentences: 4 });
  t.true(data.size >= 6, `paragraphs: ${data.size}`);
  const special = { bos: tok.bosId, eos: tok.eosId, pad: 77 };
  const paragraphs = data.batches({ batchSize: 3, seed: 2 });
  const tokens = new TokenBatches(data.batches({ batchSize: 3, seed: 2 }), special);
  const expected = (indices: number[]) => padRows(indices.map((i) => paragraphRow(data.get(i), special.bos, special.eos).ids), special.pad);
  for (let k = 0; k < 5; k++) {
    const p = paragraphs.next();
    const b = tokens.next();
    t.deepEqual(b, expected(p.indices), `batch ${k}`);
    t.deepEqual(tokens.position, paragraphs.position);
  }
  const saved = tokens.position;
  const next = tokens.next();
  tokens.restore(saved);
  t.deepEqual(tokens.position, saved);
  t.deepEqual(tokens.next(), next, 'restore resumes exactly');
  // Rank 1 of 3 gets the middle paragraph of each global batch of 3.
  const global = data.batches({ batchSize: 3, seed: 2 });
  const shard = new TokenBatches(data.batches({ batchSize: 3, seed: 2 }), special).shard(1, 3);
  t.true(shard instanceof TokenBatches);
  for (let k = 0; k < 3; k++) {
    let g = global.next();
    while (g.indices.length < 3) g = global.next();
    t.deepEqual(shard.next(), expected([g.indices[1]!]));
  }
  const noShard = new TokenBatches({ next: () => data.batches({ batchSize: 1 }).next(), position: { epoch: 0, batch: 0 }, restore: () => {} }, special);
  t.throws(() => noShard.shard(0, 2), { instanceOf: InvalidArgumentError, message: 'Expected paragraph batches with shard(rank, worldSize) (dataset.batches(...)) under these token batches for a distributed run' });
});

test('TokenBatches: special ids checked over the int32 range; the source needs next()', (t) => {
  const src = { next: () => { throw new Error('not called'); }, position: { epoch: 0, batch: 0 }, restore: () => {} };
  t.notThrows(() => new TokenBatches(any(src), { bos: min, eos: max, pad: min }));
  t.notThrows(() => new TokenBatches(any(src), { bos: max, eos: min, pad: max }));
  for (const key of ['bos', 'eos', 'pad'] as const) {
    for (const bad of [min - 1, max + 1]) {
      t.throws(() => new TokenBatches(any(src), { bos: 0, eos: 0, pad: 0, [key]: bad }), { instanceOf: InvalidArgumentError, message: `Expected integer between ${min} and ${max} for special.${key} but received ${bad} of type number` });
    }
  }
  t.throws(() => new TokenBatches(any({ next: 1 }), { bos: 0, eos: 0, pad: 0 }), { instanceOf: InvalidArgumentError, message: /^Expected batch source \(an object with next\(\)\) for source but received/ });
  t.throws(() => new TokenBatches(any(null), { bos: 0, eos: 0, pad: 0 }), { instanceOf: InvalidArgumentError, message: /for source but received null/ });
  t.throws(() => new TokenBatches(any(src), any(null)), { instanceOf: InvalidArgumentError, message: /for special but received null/ });
});
