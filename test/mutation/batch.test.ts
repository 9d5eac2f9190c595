/**
 * lib/text/batch.ts at its edges, for `npm run mutate -- lib/text/batch.ts`: explicit lengths and
 * sentence counts, empty batches, bos-only rows, the bucketing plan spelled out from its
 * definition (seeded shuffle, length sort inside windows of batchSize x windowBatches, seeded
 * batch order; defaults windowBatches 50 and seed 0), paddingRatio's arithmetic, and which
 * argument an error names. Lengths are those of real Brown sentences.
 */
import test from 'ava';

import { createRng } from '../../lib/data/rng.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { bucketBatches, padParagraphs, paddingRatio, padSentences } from '../../lib/text/batch.js';
import { segment } from '../../lib/text/segment.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';
import { firstBrown } from './brownText.js';

const any = (v: unknown) => v as never;
const bad = (message: string | RegExp) => ({ instanceOf: InvalidArgumentError, message });

/** The plan bucketBatches documents, written out. */
function plan(lengths: ArrayLike<number>, batchSize: number, windowBatches: number, seed: number): number[][] {
  const rng = createRng(seed);
  const order = Array.from(rng.permutation(lengths.length));
  const batches: number[][] = [];
  for (let w = 0; w < order.length; w += batchSize * windowBatches) {
    const window = order.slice(w, w + batchSize * windowBatches).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let b = 0; b < window.length; b += batchSize) batches.push(window.slice(b, b + batchSize));
  }
  return Array.from(rng.permutation(batches.length), (i) => batches[i]!);
}

async function brownLengths(): Promise<Int32Array> {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const sentences = (await firstBrown(120)).flatMap((p) => segment(p));
  return Int32Array.from(await tok.encodeBatch(sentences), (ids) => ids.length);
}

test('bucketBatches: the documented plan, windowBatches 50 and seed 0 by default, every window sorted by length', async (t) => {
  const lengths = await brownLengths();
  t.true(lengths.length > 200, `sentences: ${lengths.length}`);
  t.deepEqual(bucketBatches(lengths, { batchSize: 2 }), plan(lengths, 2, 50, 0));
  t.deepEqual(bucketBatches(lengths, { batchSize: 2, seed: 0, windowBatches: 50 }), plan(lengths, 2, 50, 0));
  t.notDeepEqual(plan(lengths, 2, 50, 0), plan(lengths, 2, 49, 0));
  t.notDeepEqual(plan(lengths, 2, 50, 0), plan(lengths, 2, 50, 1));
  t.deepEqual(bucketBatches(lengths, { batchSize: 3, seed: 9, windowBatches: 4 }), plan(lengths, 3, 4, 9));
  t.deepEqual(bucketBatches(lengths, { batchSize: 5, seed: 2, windowBatches: 1 }), plan(lengths, 5, 1, 2));
  const one = bucketBatches(lengths, { batchSize: lengths.length, windowBatches: 1 });
  t.is(one.length, 1);
  t.deepEqual(one[0]!.map((i) => lengths[i]), Array.from(lengths).sort((a, b) => a - b), 'one window: sorted by length, ascending');
  t.deepEqual(bucketBatches([], { batchSize: 4 }), []);
  t.deepEqual(bucketBatches([7], { batchSize: 4 }), [[0]]);
});

test('bucketBatches / paddingRatio: which argument an error names', (t) => {
  t.throws(() => bucketBatches(any('abc'), { batchSize: 1 }), bad(/^Expected array of lengths for lengths but received/));
  t.throws(() => bucketBatches([1, 2.5], { batchSize: 1 }), bad(/for lengths\[1\] but received 2.5/));
  t.throws(() => bucketBatches([1], any(null)), bad(/^Expected options object for options but received null/));
  t.throws(() => bucketBatches([1], { batchSize: 0 }), bad('Expected integer >= 1 for batchSize but received 0 of type number'));
  t.throws(() => bucketBatches([1], { batchSize: 1, windowBatches: 0 }), bad('Expected integer >= 1 for windowBatches but received 0 of type number'));
  t.deepEqual(bucketBatches([1, 2], { batchSize: 1, windowBatches: 1 }).flat().sort(), [0, 1]);
  t.throws(() => paddingRatio([[0]], any(null)), bad(/^Expected array of lengths for lengths but received null/));
  t.throws(() => paddingRatio(any(5), [1]), bad(/^Expected array of index batches for batches but received 5/));
  t.throws(() => paddingRatio([[0], any(1)], [1]), bad(/^Expected array of indices for batches\[1\] but received 1/));
  t.throws(() => paddingRatio([[0, 2]], [1, 2]), bad('Expected integer between 0 and 1 for batches[0][1] but received 2 of type number'));
  t.throws(() => paddingRatio([[-1]], [1, 2]), bad(/for batches\[0\]\[0\] but received -1/));
  t.is(paddingRatio([[1]], [1, 2]), 0);
});

test('paddingRatio: 1 - real / padded, each batch padded to its own longest item', async (t) => {
  t.is(paddingRatio([], [3]), 0);
  t.is(paddingRatio([[]], [3]), 0);
  t.is(paddingRatio([[0, 1]], [2, 4]), 1 - 6 / 8);
  t.is(paddingRatio([[0, 1], [2]], [2, 4, 3]), 1 - 9 / 11);
  t.is(paddingRatio([[2, 0]], [4, 0, 1]), 1 - 5 / 8);
  const lengths = await brownLengths();
  const batches = bucketBatches(lengths, { batchSize: 8, seed: 1 });
  let real = 0;
  let total = 0;
  for (const b of batches) {
    real += b.reduce((n, i) => n + lengths[i]!, 0);
    total += Math.max(...b.map((i) => lengths[i]!)) * b.length;
  }
  t.is(paddingRatio(batches, lengths), 1 - real / total);
});

test('padSentences: an explicit length, an empty batch, errors named', (t) => {
  const b = padSentences([[2, 5], [2]], { padId: -7, length: 4 });
  t.deepEqual(Array.from(b.ids), [2, 5, -7, -7, 2, -7, -7, -7]);
  t.deepEqual(Array.from(b.mask), [1, 1, 0, 0, 1, 0, 0, 0]);
  t.deepEqual(Array.from(b.lengths), [2, 1]);
  t.deepEqual([b.batchSize, b.length], [2, 4]);
  const exact = padSentences([[2, 5, 6]], { padId: 1, length: 3 });
  t.deepEqual(Array.from(exact.ids), [2, 5, 6]);
  const empty = padSentences([], { padId: 1 });
  t.deepEqual([empty.batchSize, empty.length, empty.ids.length, empty.lengths.length], [0, 0, 0, 0]);
  t.throws(() => padSentences(any('x'), { padId: 1 }), bad(/^Expected array of id arrays for seqs but received/));
  t.throws(() => padSentences([[1], any(null)], { padId: 1 }), bad(/for seqs\[1\] but received null/));
  t.throws(() => padSentences([[1]], any(undefined)), bad(/^Expected integer for padId but received undefined/));
  t.throws(() => padSentences([[1]], any({ padId: '1' })), bad(/^Expected integer for padId but received '1'/));
  t.throws(() => padSentences([[1, 2]], { padId: 1, length: 1 }), bad('Expected integer >= 2 for length but received 1 of type number'));
});

test('padParagraphs: explicit sentences and length, bos-only and empty paragraphs, per-sentence lengths, errors named', (t) => {
  const b = padParagraphs([[[2, 5, 6]], [], [[2], [2, 7]]], { padId: 0, sentences: 3, length: 4 });
  t.deepEqual([b.batchSize, b.sentences, b.length], [3, 3, 4]);
  t.deepEqual(Array.from(b.ids), [
    2, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 0, 0, 0, 2, 7, 0, 0, 0, 0, 0, 0,
  ]);
  t.deepEqual(Array.from(b.tokenMask), [
    1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,
  ]);
  t.deepEqual(Array.from(b.sentenceMask), [1, 0, 0, 0, 0, 0, 1, 1, 0]);
  t.deepEqual(Array.from(b.sentenceCounts), [1, 0, 2]);
  t.deepEqual(Array.from(b.lengths), [3, 0, 0, 0, 0, 0, 1, 2, 0]);
  const tight = padParagraphs([[[2, 5]], [[2], [2, 7, 8]]], { padId: 9, sentences: 2, length: 3 });
  t.deepEqual([tight.sentences, tight.length], [2, 3]);
  const empty = padParagraphs([], { padId: 1 });
  t.deepEqual([empty.batchSize, empty.sentences, empty.length, empty.ids.length], [0, 0, 0, 0]);
  t.throws(() => padParagraphs(any(null), { padId: 1 }), bad(/^Expected array of paragraphs for paragraphs but received null/));
  t.throws(() => padParagraphs([[[2]], any('p')], { padId: 1 }), bad(/^Expected array of id arrays for paragraphs\[1\] but received/));
  t.throws(() => padParagraphs([[[2]], [[2], any(5)]], { padId: 1 }), bad(/for paragraphs\[1\]\[1\] but received 5/));
  t.throws(() => padParagraphs([[[2]]], any(3)), bad(/^Expected options object for options but received 3/));
  t.throws(() => padParagraphs([[[2]]], any({ padId: null })), bad(/^Expected integer for padId but received null/));
  t.throws(() => padParagraphs([[[2]], [[2], [2]]], { padId: 1, sentences: 1 }), bad('Expected integer >= 2 for sentences but received 1 of type number'));
  t.throws(() => padParagraphs([[[2, 3]], [[2]]], { padId: 1, length: 1 }), bad('Expected integer >= 2 for length but received 1 of type number'));
});
