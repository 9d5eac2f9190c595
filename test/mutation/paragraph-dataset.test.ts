/**
 * lib/data/ParagraphDataset.ts, for `npm run mutate -- lib/data/ParagraphDataset.ts`, on real
 * Brown paragraphs and the builtin tokenizer: the defaults (maxTokens 64, maxSentences 64,
 * minSentences 2, seed 0, bucketing by sentence count), chunking at maxSentences, `limit` exactly
 * and without reading past the 1,024-paragraph tokenizer batch that reaches it, fromCorpus's
 * splits, and which argument an error names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { ParagraphDataset, type ParagraphDatasetOptions } from '../../lib/data/ParagraphDataset.js';
import { splitOf } from '../../lib/data/corpus.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { bucketBatches, padParagraphs } from '../../lib/text/batch.js';
import { splitIds } from '../../lib/text/pieces.js';
import { segment } from '../../lib/text/segment.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';
import { firstBrown } from './brownText.js';

const any = (v: unknown) => v as never;
const all = (ds: ParagraphDataset) => Array.from({ length: ds.size }, (_, p) => ds.get(p).map((s) => Array.from(s)));

/** The paragraphs the dataset must hold, computed from the parts it is made of. */
async function expected(tok: Tokenizer, paragraphs: string[], options: ParagraphDatasetOptions = {}): Promise<number[][][]> {
  const { maxTokens = 64, maxSentences = 64, minSentences = 2 } = options;
  const out: number[][][] = [];
  for (const p of paragraphs) {
    const pieces: number[][] = [];
    for (const s of segment(p, options)) for (const ids of splitIds(await tok.encode(s, { addBos: false }), tok.bosId, maxTokens)) pieces.push(Array.from(ids));
    for (let c = 0; c < pieces.length; c += maxSentences) {
      const chunk = pieces.slice(c, c + maxSentences);
      if (chunk.length >= minSentences) out.push(chunk);
    }
  }
  return out;
}

test('fromParagraphs: the defaults keep paragraphs of 2..64 sentences of <= 64 tokens whole', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(10);
  const many = Array.from({ length: 70 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
  const long = `${'word '.repeat(140)}end. And a short one.`;
  const paragraphs = [...brown, 'One sentence only.', many, long];
  const ds = await ParagraphDataset.fromParagraphs(paragraphs, tok);
  const want = await expected(tok, paragraphs);
  t.deepEqual(all(ds), want);
  t.deepEqual(want.map((p) => p.length).slice(-3), [64, 6, 4], '70 sentences: 64 + 6; a 140-word sentence: 3 pieces + 1');
  t.true(want.flat().some((s) => s.length === 64));
  t.is(ds.padId, tok.padId);
  want.forEach((p, i) => t.is(ds.sentenceCount(i), p.length));
  const records = await ParagraphDataset.fromParagraphs((async function* () { for (const text of brown) yield { text, source: { path: 'x', line: 1 } }; })(), tok, { maxTokens: 12 });
  t.deepEqual(all(records), await expected(tok, brown, { maxTokens: 12 }));
});

test('fromParagraphs: maxSentences / minSentences at their edges; segment options reach the segmenter', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(10);
  for (const options of [{ maxSentences: 3, minSentences: 3 }, { maxSentences: 1, minSentences: 1 }, { maxSentences: 4, minSentences: 1, maxTokens: 2 }, { minSentences: 5 }, { cutMarks: '.' }]) {
    t.deepEqual(all(await ParagraphDataset.fromParagraphs(brown, tok, options)), await expected(tok, brown, options), JSON.stringify(options));
  }
  t.notDeepEqual(await expected(tok, brown, { cutMarks: '.' }), await expected(tok, brown));
  const three = all(await ParagraphDataset.fromParagraphs(['A b. C d. E f. G h. I j. K l. M n.'], tok, { maxSentences: 3, minSentences: 1 }));
  t.deepEqual(three.map((p) => p.length), [3, 3, 1]);
  const dropped = all(await ParagraphDataset.fromParagraphs(['A b. C d. E f. G h. I j. K l. M n.'], tok, { maxSentences: 3, minSentences: 2 }));
  t.deepEqual(dropped.map((p) => p.length), [3, 3]);
});

test('limit: exactly that many paragraphs; reading stops after the 1,024-paragraph batch that reached it', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(12);
  const want = await expected(tok, brown);
  t.deepEqual(all(await ParagraphDataset.fromParagraphs(brown, tok, { limit: 4 })), want.slice(0, 4));
  t.deepEqual(all(await ParagraphDataset.fromParagraphs(brown, tok, { limit: 1, maxSentences: 2 })), (await expected(tok, brown, { maxSentences: 2 })).slice(0, 1));
  t.is((await ParagraphDataset.fromParagraphs(brown, tok, { limit: 0 })).size, 0);
  let taken = 0;
  const source = {
    *[Symbol.iterator]() {
      for (let i = 0; i < 1500; i++) {
        taken++;
        yield brown[i % brown.length]!;
      }
    },
  };
  const ds = await ParagraphDataset.fromParagraphs(source, tok, { limit: 3 });
  t.deepEqual(all(ds), want.slice(0, 3));
  t.is(taken, 1024);
});

test('fromParagraphs / fromCorpus / get / batches: which argument an error names', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const bad = (message: string | RegExp) => ({ instanceOf: InvalidArgumentError, message });
  await t.throwsAsync(ParagraphDataset.fromParagraphs(any(null), tok), bad(/^Expected iterable of paragraphs for paragraphs but received null/));
  await t.throwsAsync(ParagraphDataset.fromParagraphs(['a'], any('gpt2')), bad(/^Expected Tokenizer for tokenizer but received/));
  await t.throwsAsync(ParagraphDataset.fromParagraphs(['a'], tok, any(7)), bad(/^Expected options object for options but received 7/));
  await t.throwsAsync(ParagraphDataset.fromParagraphs(['a'], tok, { maxTokens: 1 }), bad('Expected integer >= 2 for maxTokens but received 1 of type number'));
  await t.throwsAsync(ParagraphDataset.fromParagraphs(['a'], tok, { maxSentences: 0 }), bad('Expected integer >= 1 for maxSentences but received 0 of type number'));
  await t.throwsAsync(ParagraphDataset.fromParagraphs(['a'], tok, { minSentences: 0 }), bad('Expected integer >= 1 for minSentences but received 0 of type number'));
  await t.throwsAsync(ParagraphDataset.fromParagraphs(['a', 'b', any(null)], tok), bad(/^Expected paragraph \(a string or \{ text \}\) for paragraphs\[2\] but received null/));
  await t.throwsAsync(ParagraphDataset.fromCorpus('brown', any(undefined)), bad(/^Expected Tokenizer for tokenizer but received/));
  await t.throwsAsync(ParagraphDataset.fromCorpus('brown', tok, any(1)), bad(/^Expected options object for options but received 1/));
  await t.throwsAsync(ParagraphDataset.fromCorpus('brown', any(undefined), any(1)), bad(/^Expected Tokenizer for tokenizer but received/), 'the tokenizer is checked first');
  t.true((await ParagraphDataset.fromParagraphs(["A b."], tok, { maxTokens: 2, maxSentences: 1, minSentences: 1 })).size >= 1);
  const ds = await ParagraphDataset.fromParagraphs(await firstBrown(6), tok);
  t.true(ds.size > 2);
  for (const i of [-1, ds.size, 1.5, any('0')]) t.throws(() => ds.get(i), bad(new RegExp(`^Expected an index in \\[0, ${ds.size}\\) for index but received`)));
  t.is(ds.get(ds.size - 1).length, ds.sentenceCount(ds.size - 1));
  t.throws(() => ds.batches({ batchSize: 0 }), bad('Expected integer >= 1 for batchSize but received 0 of type number'));
  t.throws(() => ds.batches({ batchSize: 1, seed: any('7') }), bad(/^Expected .* for seed but received/));
  t.throws(() => ds.batches({ batchSize: 1, bucket: any(1) }), bad(/^Expected .* for bucket but received 1/));
  t.throws(() => ds.batches(any('x')), bad(/^Expected options object for options but received/));
});

test('fromCorpus: a file of Brown paragraphs, split train / validation / all (train by default)', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(30);
  const dir = mkdtempSync(join(tmpdir(), 'svae-paragraphs-'));
  const file = join(dir, 'brown.txt');
  writeFileSync(file, brown.join('\n\n') + '\n');
  const options = { validationFraction: 0.3, seed: 1, maxSentences: 3 };
  const validation = brown.filter((p) => splitOf(p, options) === 'validation');
  const train = brown.filter((p) => splitOf(p, options) === 'train');
  t.true(validation.length > 0 && train.length > 0);
  t.deepEqual(all(await ParagraphDataset.fromCorpus(file, tok, { ...options, split: 'validation' })), await expected(tok, validation, options));
  t.deepEqual(all(await ParagraphDataset.fromCorpus(file, tok, { ...options, split: 'train' })), await expected(tok, train, options));
  t.deepEqual(all(await ParagraphDataset.fromCorpus(file, tok, options)), await expected(tok, train, options), 'train by default');
  t.deepEqual(all(await ParagraphDataset.fromCorpus([file], tok, { ...options, split: 'all', limit: 7 })), (await expected(tok, brown, options)).slice(0, 7));
});

test('batches: bucketed by sentence count in windows of 50 batches, seed 0 by default, epoch e uses seed + e; bucket: false is a plain shuffle', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const ds = await ParagraphDataset.fromParagraphs(await firstBrown(60), tok, { maxSentences: 2, minSentences: 1 });
  t.true(ds.size > 100, `paragraphs: ${ds.size}`);
  const counts = Int32Array.from({ length: ds.size }, (_, p) => ds.sentenceCount(p));
  const epoch = (b: { next(): { indices: number[] } }, n: number) => Array.from({ length: n }, () => b.next().indices);
  const plan = (seed: number, windowBatches: number, lengths: ArrayLike<number>) => bucketBatches(lengths, { batchSize: 2, seed, windowBatches });
  const n = Math.ceil(ds.size / 2);
  t.deepEqual(epoch(ds.batches({ batchSize: 2 }), n), plan(0, 50, counts));
  t.deepEqual(epoch(ds.batches({ batchSize: 2, bucket: true, seed: 3 }), n), plan(3, 50, counts));
  t.notDeepEqual(plan(3, 50, counts), plan(3, 49, counts));
  const zeros = new Int32Array(ds.size);
  t.deepEqual(epoch(ds.batches({ batchSize: 2, bucket: false, seed: 3 }), n), plan(3, 1, zeros));
  t.notDeepEqual(plan(3, 1, zeros), plan(3, 1, counts));
  const two = epoch(ds.batches({ batchSize: 2, seed: 5 }), 2 * n);
  t.deepEqual(two.slice(n), plan(6, 50, counts));
  t.deepEqual(epoch(ds.batches({ batchSize: 2, seed: 5, position: { epoch: 1, batch: 3 } }), 2), plan(6, 50, counts).slice(3, 5));
  const b = ds.batches({ batchSize: 4, seed: 2 }).next();
  t.deepEqual(b, { ...padParagraphs(b.indices.map((i) => ds.get(i)), { padId: tok.padId }), indices: b.indices });
});
