/**
 * lib/data/SentenceDataset.ts, for `npm run mutate -- lib/data/SentenceDataset.ts`, on real Brown
 * paragraphs and the builtin tokenizer: the defaults (maxTokens 64, chunkParagraphs, seed 0,
 * bucketing in windows of 50 batches), `limit` exactly and without reading further, the options
 * reaching the segmenter, the splits of fromCorpus, the epoch seeds, and which argument an error names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { SentenceDataset } from '../../lib/data/SentenceDataset.js';
import { splitOf } from '../../lib/data/corpus.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { bucketBatches, padSentences } from '../../lib/text/batch.js';
import { splitIds } from '../../lib/text/pieces.js';
import { segment } from '../../lib/text/segment.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';
import { firstBrown } from './brownText.js';

const any = (v: unknown) => v as never;
const rows = (ds: SentenceDataset) => Array.from({ length: ds.size }, (_, i) => Array.from(ds.get(i)));

/** The pieces the dataset must hold: segment, tokenize without bos, split at maxTokens. */
async function expected(tok: Tokenizer, paragraphs: string[], maxTokens: number, options = {}): Promise<number[][]> {
  const out: number[][] = [];
  for (const p of paragraphs) {
    for (const s of segment(p, options)) {
      for (const ids of splitIds(await tok.encode(s, { addBos: false }), tok.bosId, maxTokens)) out.push(Array.from(ids));
    }
  }
  return out;
}

/** A sync iterable of paragraphs that counts how many were taken. */
function counted(paragraphs: string[]) {
  const state = { taken: 0 };
  const iterable = {
    *[Symbol.iterator]() {
      for (const p of paragraphs) {
        state.taken++;
        yield p;
      }
    },
  };
  return { iterable, state };
}

test('fromParagraphs: exactly the segmented, bos-first, split pieces; maxTokens 64 by default; chunking does not change them', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(8);
  const long = `${'word '.repeat(140)}end.`;
  const paragraphs = [...brown, long];
  const ds = await SentenceDataset.fromParagraphs(paragraphs, tok);
  const want = await expected(tok, paragraphs, 64);
  t.deepEqual(rows(ds), want);
  t.true(want.some((r) => r.length === 64), 'the long sentence fills 64-token pieces');
  t.is(ds.tokens, want.reduce((n, r) => n + r.length, 0));
  t.deepEqual(Array.from(ds.lengths()), want.map((r) => r.length));
  t.is(ds.lengths(), ds.lengths(), 'lengths are computed once');
  t.is(ds.padId, tok.padId);
  t.is(ds.bosId, tok.bosId);
  const one = await SentenceDataset.fromParagraphs(paragraphs, tok, { chunkParagraphs: 1 });
  t.deepEqual(rows(one), want);
  const three = await SentenceDataset.fromParagraphs(paragraphs, tok, { chunkParagraphs: 3, maxTokens: 2 });
  t.deepEqual(rows(three), await expected(tok, paragraphs, 2));
  t.true(rows(three).every((r) => r.length === 2));
  const records = await SentenceDataset.fromParagraphs((async function* () { for (const text of brown) yield { text, source: { path: 'x', line: 1 } }; })(), tok, { maxTokens: 20 });
  t.deepEqual(rows(records), await expected(tok, brown, 20));
});

test('fromParagraphs: segment options (cut marks) reach the segmenter', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(4);
  const ds = await SentenceDataset.fromParagraphs(brown, tok, { cutMarks: '.' });
  const want = await expected(tok, brown, 64, { cutMarks: '.' });
  t.deepEqual(rows(ds), want);
  t.notDeepEqual(want, await expected(tok, brown, 64));
});

test('limit: exactly that many pieces, and the paragraphs after it are not read', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(20);
  const all = await expected(tok, brown, 64);
  const { iterable, state } = counted(brown);
  const ds = await SentenceDataset.fromParagraphs(iterable, tok, { limit: 5, chunkParagraphs: 1 });
  t.deepEqual(rows(ds), all.slice(0, 5));
  const needed = brown.findIndex((_, i) => segment(brown.slice(0, i + 1).join('\n\n')).length >= 5) + 1;
  t.true(state.taken <= needed + 1 && state.taken < brown.length, `read ${state.taken} of ${brown.length} paragraphs`);
  const chunked = counted(brown);
  const ds2 = await SentenceDataset.fromParagraphs(chunked.iterable, tok, { limit: 5, chunkParagraphs: 2 });
  t.deepEqual(rows(ds2), all.slice(0, 5));
  t.true(chunked.state.taken < brown.length, `read ${chunked.state.taken} of ${brown.length} paragraphs (chunks of 2)`);
  const everything = counted(brown);
  t.deepEqual(rows(await SentenceDataset.fromParagraphs(everything.iterable, tok, { chunkParagraphs: 1 })), all, 'no limit: everything');
  t.is(everything.state.taken, brown.length);
  t.is((await SentenceDataset.fromParagraphs(brown, tok, { limit: 0 })).size, 0);
});

test('limit: paragraphs are tokenized chunkParagraphs at a time, and reading stops at the end of the chunk that reached the limit', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(20);
  const counts = await Promise.all(brown.map(async (p) => (await expected(tok, [p], 64)).length));
  const upTo = (k: number) => counts.slice(0, k).reduce((a, b) => a + b, 0);
  t.true(counts.slice(0, 8).every((c) => c > 0));
  const limit = upTo(2) + 1; // reached by paragraph 3: the chunk of 2 that holds it ends at paragraph 4
  for (const [chunk, stop] of [[2, 4], [3, 3], [1, 3], [4, 4]] as const) {
    const { iterable, state } = counted(brown);
    const ds = await SentenceDataset.fromParagraphs(iterable, tok, { limit, chunkParagraphs: chunk });
    t.is(ds.size, limit);
    t.is(state.taken, stop, `chunks of ${chunk}: read ${state.taken} paragraphs`);
  }
  const { iterable, state } = counted(brown);
  await SentenceDataset.fromParagraphs(iterable, tok, { limit: upTo(5) });
  t.is(state.taken, brown.length, 'the default chunk (2,048 paragraphs) holds them all');
});

test('fromParagraphs / fromCorpus / get / batches: which argument an error names', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const bad = (message: string | RegExp) => ({ instanceOf: InvalidArgumentError, message });
  await t.throwsAsync(SentenceDataset.fromParagraphs(any(5), tok), bad(/^Expected iterable of paragraphs for paragraphs but received 5/));
  await t.throwsAsync(SentenceDataset.fromParagraphs(['a'], any({})), bad(/^Expected Tokenizer for tokenizer but received/));
  await t.throwsAsync(SentenceDataset.fromParagraphs(['a'], tok, any(7)), bad(/^Expected options object for options but received 7/));
  await t.throwsAsync(SentenceDataset.fromParagraphs(['a'], tok, { maxTokens: 1 }), bad('Expected integer >= 2 for maxTokens but received 1 of type number'));
  await t.throwsAsync(SentenceDataset.fromParagraphs(['a'], tok, { chunkParagraphs: 0 }), bad('Expected integer >= 1 for chunkParagraphs but received 0 of type number'));
  await t.throwsAsync(SentenceDataset.fromParagraphs(['a', any(3)], tok), bad(/^Expected paragraph \(a string or \{ text \}\) for paragraphs\[1\] but received 3/));
  await t.throwsAsync(SentenceDataset.fromCorpus('brown', any(null)), bad(/^Expected Tokenizer for tokenizer but received null/));
  await t.throwsAsync(SentenceDataset.fromCorpus('brown', tok, any('train')), bad(/^Expected options object for options but received/));
  await t.throwsAsync(SentenceDataset.fromCorpus('brown', any(null), any('train')), bad(/^Expected Tokenizer for tokenizer but received null/), 'the tokenizer is checked first');
  const ds = await SentenceDataset.fromParagraphs(await firstBrown(2), tok);
  t.true((await SentenceDataset.fromParagraphs(['a'], tok, { maxTokens: 2 })).size === 1);
  for (const i of [-1, ds.size, 0.5, any('0')]) t.throws(() => ds.get(i), bad(new RegExp(`^Expected an index in \\[0, ${ds.size}\\) for index but received`)));
  t.deepEqual(Array.from(ds.get(ds.size - 1)), Array.from(ds.get(ds.size - 1)));
  t.throws(() => ds.batches({ batchSize: 0 }), bad('Expected integer >= 1 for batchSize but received 0 of type number'));
  t.throws(() => ds.batches({ batchSize: 1, seed: any('1') }), bad(/^Expected .* for seed but received/));
  t.throws(() => ds.batches({ batchSize: 1, bucket: any('yes') }), bad(/^Expected .* for bucket but received/));
  t.throws(() => ds.batches(any(null)), bad(/^Expected options object for options but received null/));
});

test('fromCorpus: a file of Brown paragraphs, split train / validation / all (train by default)', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const brown = await firstBrown(30);
  const dir = mkdtempSync(join(tmpdir(), 'svae-sentences-'));
  const file = join(dir, 'brown.txt');
  writeFileSync(file, brown.join('\n\n') + '\n');
  const options = { validationFraction: 0.3, seed: 1 };
  const validation = brown.filter((p) => splitOf(p, options) === 'validation');
  const train = brown.filter((p) => splitOf(p, options) === 'train');
  t.true(validation.length > 0 && train.length > 0);
  t.deepEqual(rows(await SentenceDataset.fromCorpus(file, tok, { ...options, split: 'validation', maxTokens: 32 })), await expected(tok, validation, 32));
  t.deepEqual(rows(await SentenceDataset.fromCorpus(file, tok, { ...options, split: 'train', maxTokens: 32 })), await expected(tok, train, 32));
  t.deepEqual(rows(await SentenceDataset.fromCorpus(file, tok, { ...options, maxTokens: 32 })), await expected(tok, train, 32), 'train by default');
  t.deepEqual(rows(await SentenceDataset.fromCorpus([file], tok, { ...options, split: 'all', maxTokens: 32, limit: 9 })), (await expected(tok, brown, 32)).slice(0, 9));
});

test('batches: bucketed in windows of 50 batches by length, seed 0 by default, epoch e uses seed + e; bucket: false is a plain shuffle', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const ds = await SentenceDataset.fromParagraphs(await firstBrown(40), tok, { maxTokens: 24 });
  t.true(ds.size > 120, `pieces: ${ds.size}`);
  const epoch = (b: { next(): { indices: number[] } }, n: number) => Array.from({ length: n }, () => b.next().indices);
  const plan = (seed: number, windowBatches: number, lengths: ArrayLike<number>) => bucketBatches(lengths, { batchSize: 2, seed, windowBatches });
  const lengths = ds.lengths();
  const n = Math.ceil(ds.size / 2);
  t.deepEqual(epoch(ds.batches({ batchSize: 2 }), n), plan(0, 50, lengths));
  t.deepEqual(epoch(ds.batches({ batchSize: 2, bucket: true, seed: 3 }), n), plan(3, 50, lengths));
  t.notDeepEqual(plan(3, 50, lengths), plan(3, 49, lengths));
  const zeros = new Int32Array(ds.size);
  t.deepEqual(epoch(ds.batches({ batchSize: 2, bucket: false, seed: 3 }), n), plan(3, 1, zeros));
  t.notDeepEqual(plan(3, 1, zeros), plan(3, 1, lengths));
  // The second epoch of seed 5 is the first of seed 6 (and not of seed 4).
  const two = epoch(ds.batches({ batchSize: 2, seed: 5 }), 2 * n);
  t.deepEqual(two.slice(n), plan(6, 50, lengths));
  t.deepEqual(epoch(ds.batches({ batchSize: 2, seed: 5, position: { epoch: 1, batch: 3 } }), 2), plan(6, 50, lengths).slice(3, 5));
  const b = ds.batches({ batchSize: 4, seed: 2 }).next();
  t.deepEqual(b, { ...padSentences(b.indices.map((i) => ds.get(i)), { padId: tok.padId }), indices: b.indices });
  t.true(b.ids.includes(tok.padId) || b.lengths.every((l) => l === b.length));
});
