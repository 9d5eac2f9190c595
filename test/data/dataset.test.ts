import test from 'ava';

import { InvalidArgumentError, ParagraphDataset, SentenceDataset, Tokenizer } from '../../lib/index.js';

const paragraphs = [
  'The cat sat on the mat. It was warm, and the sun was out.',
  'Dogs bark; birds sing! Who knows why?',
  'One sentence only.',
  `A very long sentence ${'that keeps going '.repeat(30)}until it ends.`,
  'Short. Shorter. Shortest.',
];

test('SentenceDataset: segmented, tokenized, split to maxTokens, nothing dropped', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const ds = await SentenceDataset.fromParagraphs(paragraphs, tok, { maxTokens: 16 });
  t.true(ds.size > 15);
  const lengths = ds.lengths();
  t.true(lengths.every((l) => l >= 2 && l <= 16));
  let text = '';
  for (let i = 0; i < ds.size; i++) text += await tok.decode(ds.get(i));
  t.is(text, paragraphs.join(''), 'the pieces decode back to the paragraphs, in order');
  t.throws(() => ds.get(ds.size), { instanceOf: InvalidArgumentError });
});

test('SentenceDataset batches resume exactly from a saved position', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const ds = await SentenceDataset.fromParagraphs(paragraphs, tok, { maxTokens: 16 });
  const a = ds.batches({ batchSize: 3, seed: 5 });
  const perEpoch = Math.ceil(ds.size / 3);
  for (let i = 0; i < perEpoch + 2; i++) a.next(); // crosses an epoch boundary
  const saved = a.position;
  const expected = Array.from({ length: 9 }, () => a.next().indices);
  const b = ds.batches({ batchSize: 3, seed: 5, position: saved });
  t.deepEqual(Array.from({ length: 9 }, () => b.next().indices), expected);
  t.true(saved.epoch >= 1);
  const batch = b.next();
  t.is(batch.ids.length, batch.batchSize * batch.length);
});

test('ParagraphDataset: sentences per paragraph, chunked at maxSentences, short ones dropped', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const ds = await ParagraphDataset.fromParagraphs(paragraphs, tok, { maxTokens: 64, maxSentences: 2, minSentences: 2 });
  const counts = Array.from({ length: ds.size }, (_, p) => ds.sentenceCount(p));
  t.true(counts.every((c) => c === 2));
  // The first paragraph has 3 sentences: a chunk of 2, then a chunk of 1 that is too short.
  t.is(await tok.decode(ds.get(0).flatMap((s) => Array.from(s))), 'The cat sat on the mat. It was warm,');
  const batches = ds.batches({ batchSize: 2, seed: 1 });
  const b = batches.next();
  t.is(b.ids.length, b.batchSize * b.sentences * b.length);
  t.is(b.sentenceMask.reduce((x, y) => x + y, 0), b.indices.reduce((n, i) => n + ds.sentenceCount(i), 0));
});

test('SentenceDataset.fromCorpus keeps one split of the Brown corpus', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const validation = await SentenceDataset.fromCorpus('brown', tok, { split: 'validation', validationFraction: 0.01 });
  const some = await SentenceDataset.fromCorpus('brown', tok, { split: 'train', limit: 1000 });
  t.true(validation.size > 300 && validation.size < 2000, `validation pieces: ${validation.size}`);
  t.is(some.size, 1000);
});
