import test from 'ava';
import fc from 'fast-check';

import { bucketBatches, padParagraphs, padSentences, paddingRatio, splitIds, tokenizeText, Tokenizer } from '../../lib/index.js';

test('padSentences pads to the longest row with a mask', (t) => {
  const b = padSentences([Int32Array.of(2, 10, 11), Int32Array.of(2, 12)], { padId: 1 });
  t.is(b.batchSize, 2);
  t.is(b.length, 3);
  t.deepEqual(Array.from(b.ids), [2, 10, 11, 2, 12, 1]);
  t.deepEqual(Array.from(b.mask), [1, 1, 1, 1, 1, 0]);
  t.deepEqual(Array.from(b.lengths), [3, 2]);
  t.is(padSentences([Int32Array.of(2)], { padId: 1, length: 4 }).length, 4);
  t.throws(() => padSentences([Int32Array.of(2, 3, 4)], { padId: 1, length: 2 }), { message: /Expected integer >= 3 for length but received 2/ });
});

test('padParagraphs builds [B, S, L] with token and sentence masks', (t) => {
  const b = padParagraphs([[Int32Array.of(2, 5), Int32Array.of(2, 6, 7)], [Int32Array.of(2)]], { padId: 1 });
  t.deepEqual([b.batchSize, b.sentences, b.length], [2, 2, 3]);
  t.deepEqual(Array.from(b.ids), [2, 5, 1, 2, 6, 7, 2, 1, 1, 1, 1, 1]);
  t.deepEqual(Array.from(b.tokenMask), [1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  t.deepEqual(Array.from(b.sentenceMask), [1, 1, 1, 0]);
  t.deepEqual(Array.from(b.sentenceCounts), [2, 1]);
});

test('splitIds never drops a token and respects maxTokens', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 4, max: 100 }), { maxLength: 300 }), fc.integer({ min: 2, max: 70 }), (content, maxTokens) => {
      const pieces = splitIds(Int32Array.from(content), 2, maxTokens);
      const rejoined = pieces.flatMap((p) => Array.from(p.subarray(1)));
      return pieces.every((p) => p[0] === 2 && p.length <= maxTokens) && JSON.stringify(rejoined) === JSON.stringify(content);
    }),
  );
  t.pass();
});

test('over-long segments become marked continuation pieces', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const long = `${'word '.repeat(150)}end.`;
  const pieces = await tokenizeText(tok, `Short one. ${long}`, { maxTokens: 64 });
  t.is(pieces[0]!.segment, 0);
  t.false(pieces[0]!.continued);
  const rest = pieces.filter((p) => p.segment === 1);
  t.true(rest.length >= 3);
  t.deepEqual(rest.map((p) => p.continued), [false, ...rest.slice(1).map(() => true)]);
  t.true(pieces.every((p) => p.ids.length <= 64));
  const text = await tok.decode(rest.flatMap((p) => Array.from(p.ids.subarray(1))));
  t.is(text, ` ${long}`, 'the pieces decode back to the whole segment');
});

test('bucketing covers every item once, is seeded, and pads far less than random batches', (t) => {
  const rng = fc.sample(fc.integer({ min: 2, max: 64 }), { numRuns: 5000, seed: 7 });
  const lengths = Int32Array.from(rng);
  const bucketed = bucketBatches(lengths, { batchSize: 32, seed: 3 });
  const flat = bucketed.flat().sort((a, b) => a - b);
  t.deepEqual(flat, Array.from({ length: lengths.length }, (_, i) => i));
  t.deepEqual(bucketBatches(lengths, { batchSize: 32, seed: 3 }), bucketed, 'same seed, same batches');
  t.notDeepEqual(bucketBatches(lengths, { batchSize: 32, seed: 4 }), bucketed);
  const random = bucketBatches(lengths, { batchSize: 32, seed: 3, windowBatches: 1 });
  const unsorted: number[][] = [];
  const order = random.flat();
  for (let i = 0; i < order.length; i += 32) unsorted.push(order.slice(i, i + 32));
  t.true(paddingRatio(bucketed, lengths) < 0.05, `bucketed padding ${paddingRatio(bucketed, lengths)}`);
  t.true(paddingRatio(unsorted, lengths) > 0.3);
});
