// The untyped errors `npm run fuzz` still found in the low-level text/data helpers (docs/testing.md):
// a non-array, a null options object, a BigInt id or a detached array reached JavaScript
// internals ("x.map is not a function", "Cannot read properties of undefined", "Cannot mix
// BigInt and other types"). Each must be an InvalidArgumentError with the house wording, naming
// the argument. Imported from the modules that define them (not the package root, whose export
// list may shrink), so the checks live where the functions are.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FileSystemError } from '../../lib/errors/FileSystemError.js';
import { FormatError } from '../../lib/errors/FormatError.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { brownParagraphs, brownSentences } from '../../lib/data/brown.js';
import { filterSplit, readCorpus, readJsonl, readPlainText, splitOf } from '../../lib/data/corpus.js';
import { ParagraphDataset } from '../../lib/data/ParagraphDataset.js';
import { createRng, hashString } from '../../lib/data/rng.js';
import { SentenceDataset } from '../../lib/data/SentenceDataset.js';
import { paragraphRow, padRows, TokenBatches } from '../../lib/data/tokenRows.js';
import { bucketBatches, padParagraphs, paddingRatio, padSentences } from '../../lib/text/batch.js';
import { splitIds, tokenizeSegments, tokenizeText } from '../../lib/text/pieces.js';
import { segmentStream } from '../../lib/text/segment.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';
import { writeCurves } from '../../lib/train/curves.js';
import { MetricsLog } from '../../lib/train/metrics.js';
import { learningRate } from '../../lib/train/schedule.js';
import { OPT } from '../../lib/models/OPT.js';
import { packageRoot } from '../../lib/native/loader.js';
import { loadSafetensors } from '../../lib/io/safetensors.js';

const any = (v: unknown) => v as never;
const detached = () => {
  const a = new Float32Array(4);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
};
const houseWording = (name: string) => new RegExp(`^Expected .+ for ${name.replace(/[[\]().]/g, '\\$&')} but received `);

async function drain<T>(it: AsyncIterable<T>): Promise<void> {
  for await (const _ of it) { /* read everything */ }
}

/** Each call must throw (or reject with) an InvalidArgumentError naming `name`. */
async function refuses(t: import('ava').ExecutionContext, name: string, call: () => unknown): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  t.true(error instanceof InvalidArgumentError, `${name}: ${String(error)}`);
  if (error instanceof InvalidArgumentError) t.regex(error.message, houseWording(name));
}

test('padSentences / padParagraphs: missing options, BigInt, symbol, object and detached-array ids', async (t) => {
  await refuses(t, 'padId', () => padSentences([[2, 5]], any(undefined)));
  await refuses(t, 'padId', () => padParagraphs([[[2, 5]]], any(undefined)));
  await refuses(t, 'seqs[0][1]', () => padSentences([[2, any(10n)]], { padId: 1 }));
  await refuses(t, 'seqs[1][0]', () => padSentences([[2], [any(Symbol('s'))]], { padId: 1 }));
  await refuses(t, 'seqs[0][1]', () => padSentences([[2, any(Object.create(null))]], { padId: 1 }));
  await refuses(t, 'seqs[0][0]', () => padSentences([[any(detached())]], { padId: 1 }));
  await refuses(t, 'seqs[0]', () => padSentences([any(new BigInt64Array(2))], { padId: 1 }));
  await refuses(t, 'seqs[0][0]', () => padSentences([[2 ** 53]], { padId: 1 }));
  await refuses(t, 'seqs[0][0]', () => padSentences([[-(2 ** 31) - 1]], { padId: 1 }));
  await refuses(t, 'seqs[0][0]', () => padSentences([[2 ** 31]], { padId: 1 }));
  t.deepEqual(Array.from(padSentences([[-(2 ** 31), 2 ** 31 - 1]], { padId: 1 }).ids), [-(2 ** 31), 2 ** 31 - 1]); // the int32 range, ends included
  await refuses(t, 'paragraphs[0][1][0]', () => padParagraphs([[[2], [any(-1n)]]], { padId: 1 }));
  // Valid rows of every accepted kind still pad as before.
  const b = padSentences([[2, 5], new Int32Array([2]), new Uint16Array([2, 7, 8])], { padId: 1 });
  t.deepEqual(Array.from(b.ids), [2, 5, 1, 2, 1, 1, 2, 7, 8]);
});

test('bucketBatches / paddingRatio: missing options, non-array batches and lengths, indices out of range', async (t) => {
  await refuses(t, 'batchSize', () => bucketBatches([3, 4], any(undefined)));
  await refuses(t, 'lengths', () => bucketBatches(any(undefined), { batchSize: 1 }));
  await refuses(t, 'lengths[1]', () => bucketBatches([3, any(-1n)], { batchSize: 1 }));
  await refuses(t, 'seed', () => bucketBatches([3, 4], { batchSize: 1, seed: any(10n) }));
  await refuses(t, 'batches', () => paddingRatio(any(new ArrayBuffer(8)), [1, 2]));
  await refuses(t, 'batches[0]', () => paddingRatio(any([null]), [1, 2]));
  await refuses(t, 'lengths', () => paddingRatio([[0]], any(undefined)));
  await refuses(t, 'batches[0][1]', () => paddingRatio([[0, 2]], [1, 2]));
  await refuses(t, 'lengths[0]', () => paddingRatio([[0]], any([detached()])));
  t.is(paddingRatio([[0, 1], [2]], [3, 4, 5]), 1 - 12 / 13);
});

test('splitIds / tokenizeSegments / tokenizeText: non-Int32Array content, a non-tokenizer, null options', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  await refuses(t, 'content', () => splitIds(any([null]), 2, 3));
  await refuses(t, 'content', () => splitIds(any(undefined), 2));
  await refuses(t, 'bosId', () => splitIds(new Int32Array([5]), any(10n)));
  await refuses(t, 'tokenizer', () => tokenizeSegments(any({}), ['Hello.']));
  await refuses(t, 'tokenizer', () => tokenizeText(any(null), 'Hello.'));
  await refuses(t, 'segments', () => tokenizeSegments(tok, any('Hello.')));
  await refuses(t, 'segments[1]', () => tokenizeSegments(tok, any(['Hello.', 7])));
  await refuses(t, 'options', () => tokenizeSegments(tok, ['Hello.'], any(null)));
  t.is((await tokenizeText(tok, 'Hello. There, you.', { maxTokens: 8 })).length, 3);
});

test('segmentStream: no chunks or a non-iterable is an InvalidArgumentError', async (t) => {
  await refuses(t, 'chunks', () => drain(segmentStream(any(undefined))));
  await refuses(t, 'chunks', () => drain(segmentStream(any(new Date()))));
  await refuses(t, 'chunk', () => drain(segmentStream(any([7]))));
});

test('hashString / splitOf / filterSplit: non-strings, BigInt seeds, non-iterables, bad paragraphs', async (t) => {
  await refuses(t, 'text', () => hashString(any([{ 0: 2 }])));
  await refuses(t, 'text', () => hashString(any(undefined)));
  await refuses(t, 'seed', () => hashString('abc', any(-1n)));
  await refuses(t, 'text', () => splitOf(any(undefined)));
  await refuses(t, 'seed', () => splitOf('abc', { seed: any(-1n) }));
  await refuses(t, 'options', () => splitOf('abc', any(null)));
  await refuses(t, 'paragraphs', () => drain(filterSplit(any(1.5), 'train')));
  await refuses(t, 'paragraphs', () => drain(filterSplit(any(undefined), 'train')));
  await refuses(t, 'paragraphs[0]', () => drain(filterSplit(any([null]), 'train')));
  await refuses(t, 'paragraphs[1]', () => drain(filterSplit(any([{ text: 'a' }, { text: 3 }]), 'validation', { validationFraction: 0 })));
  await refuses(t, 'split', () => drain(filterSplit(any([]), any('test'))));
  await refuses(t, 'validationFraction', () => drain(filterSplit(any([]), 'train', { validationFraction: 2 })));
  t.is(hashString('abc', 5), hashString('abc', 5));
});

test('createRng / rng.int / rng.permutation: BigInt and object seeds, array lengths (a 1e9 loop), huge n', async (t) => {
  await refuses(t, 'seed', () => createRng(any(-1n)));
  await refuses(t, 'seed', () => createRng(any(Symbol('s'))));
  await refuses(t, 'state', () => createRng(1, any([])));
  const g = createRng(1);
  await refuses(t, 'n', () => g.int(any(-1n)));
  await refuses(t, 'n', () => g.int(0));
  // An array coerced to 1e9 in the loop bound (a hang before) and a length that cannot be allocated.
  await refuses(t, 'n', () => g.permutation(any([1e9])));
  await refuses(t, 'n', () => g.permutation(2 ** 31));
  await refuses(t, 'n', () => g.permutation(2 ** 28 + 1));
  await refuses(t, 'n', () => g.permutation(-1));
  await refuses(t, 'n', () => g.permutation(Infinity));
  // The sequence is unchanged by the checks (same values as the unchecked generator gave).
  const a = createRng(7);
  const b = createRng(7);
  t.deepEqual(Array.from(a.permutation(10)), Array.from(b.permutation(10)));
  t.is(createRng(3).int(5), createRng(3).int(5));
});

test('paragraphRow / padRows / TokenBatches: non-arrays, BigInt ids, empty pieces, bad special ids, no source', async (t) => {
  await refuses(t, 'pieces', () => paragraphRow(any('cuda'), 2, 2));
  await refuses(t, 'pieces', () => paragraphRow(any(undefined), 2, 2));
  await refuses(t, 'pieces[0][2]', () => paragraphRow([[2, 5, any(10n)]], 2, 2));
  await refuses(t, 'pieces[1]', () => paragraphRow([[2, 5], []], 2, 2));
  await refuses(t, 'eosId', () => paragraphRow([[2, 5]], 2, any(null)));
  await refuses(t, 'rows', () => padRows(any(0), 1));
  await refuses(t, 'rows[1]', () => padRows([new Int32Array([2]), any(10n)], 1));
  await refuses(t, 'padId', () => padRows([new Int32Array([2])], any(Symbol('s'))));
  await refuses(t, 'source', () => new TokenBatches(any(undefined), { bos: 2, eos: 2, pad: 1 }));
  await refuses(t, 'special.bos', () => new TokenBatches(any({ next() {} }), any(undefined)));
  await refuses(t, 'special.eos', () => new TokenBatches(any({ next() {} }), { bos: 2, eos: any(10n), pad: 1 }));
  t.deepEqual(Array.from(paragraphRow([[2, 5, 6], [2, 7]], 2, 3).ids), [2, 5, 6, 7, 3]);
});

test('datasets: batches() without options, null options, BigInt or object seeds, non-boolean bucket; fromParagraphs of a non-iterable', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const sentences = await SentenceDataset.fromParagraphs(['A b. C d!', 'E f?'], tok, { maxTokens: 16 });
  const paragraphs = await ParagraphDataset.fromParagraphs(['A b. C d!', 'E f? G h.'], tok, { maxTokens: 16, minSentences: 1 });
  for (const ds of [sentences, paragraphs]) {
    await refuses(t, 'batchSize', () => ds.batches(any(undefined)));
    await refuses(t, 'options', () => ds.batches(any(null)));
    await refuses(t, 'seed', () => ds.batches({ batchSize: 1, seed: any(10n) }));
    await refuses(t, 'seed', () => ds.batches({ batchSize: 1, seed: any(Object.create(null)) }));
    await refuses(t, 'bucket', () => ds.batches({ batchSize: 1, bucket: any('/dev/null') }));
  }
  await refuses(t, 'paragraphs', () => ParagraphDataset.fromParagraphs(any(-1), tok));
  await refuses(t, 'paragraphs', () => SentenceDataset.fromParagraphs(any(null), tok));
  await refuses(t, 'paragraphs[0]', () => ParagraphDataset.fromParagraphs(any([undefined]), tok));
  await refuses(t, 'paragraphs[1]', () => SentenceDataset.fromParagraphs(any(['A b.', null]), tok));
  await refuses(t, 'tokenizer', () => brownSentences(any(null), 2, 20));
  t.is(sentences.batches({ batchSize: 2, seed: 1 }).next().batchSize, 2);
});

test('learningRate without options; tokenizer.decode with a non-boolean skipSpecialTokens', async (t) => {
  await refuses(t, 'baseLr', () => learningRate(10, any(undefined)));
  await refuses(t, 'options', () => learningRate(10, any(null)));
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  await refuses(t, 'skipSpecialTokens', () => tok.decode([2, 500], { skipSpecialTokens: any(new Uint16Array(2)) }));
  await refuses(t, 'skipSpecialTokens', () => tok.decodeBatch([[2, 500]], { skipSpecialTokens: any(Symbol('s')) }));
  t.is(await tok.decode([2, 500], { skipSpecialTokens: false }), await tok.decode([2, 500], { skipSpecialTokens: false }));
});

test('writeCurves / MetricsLog: non-array records, bad titles, BigInt values, unwritable paths, a file that is not a metrics log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-fuzz-helpers-'));
  const svg = join(dir, 'c.svg');
  await refuses(t, 'records', () => writeCurves(svg, any(Object.create(null))));
  await refuses(t, 'records', () => writeCurves(svg, any(undefined)));
  await refuses(t, 'records[0].step', () => writeCurves(svg, any([{ type: 'step', step: 10n }])));
  await refuses(t, 'title', () => writeCurves(svg, [], any(new Float32Array(2))));
  await refuses(t, 'path', () => writeCurves('a\u0000b', []));
  for (const path of ['', dir, join(dir, 'missing', 'c.svg')]) {
    await t.throwsAsync(writeCurves(path, []), { instanceOf: FileSystemError, message: /^Cannot write the file / });
  }

  const log = new MetricsLog(join(dir, 'm.jsonl'));
  await refuses(t, 'record', () => log.append(any(undefined)));
  await refuses(t, 'record.type', () => log.append(any({ type: 10n, step: 1 })));
  await refuses(t, 'record.loss', () => log.append(any({ type: 'step', step: 1, loss: 10n })));
  await refuses(t, 'step', () => log.truncateAfter(any('x')));
  await t.throwsAsync(new MetricsLog('/proc/x').append({ type: 'step', step: 1 }), { instanceOf: FileSystemError });
  await log.append({ type: 'step', step: 1, loss: 2 });
  t.deepEqual(await log.read(), [{ type: 'step', step: 1, loss: 2 }]);
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'The jury met.\n');
  await t.throwsAsync(new MetricsLog(text).read(), { instanceOf: FormatError, message: /text\.txt:1: not a metrics log line/ });
});

test('loadSafetensors: names that are not an array of strings (a second fuzz run, seed 2)', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'svae-fuzz-helpers-')), 'x.safetensors');
  writeFileSync(path, Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')])); // a valid, empty file
  t.is((await loadSafetensors(path, { names: [] })).size, 0);
  await refuses(t, 'names', () => loadSafetensors(path, { names: any(Number.MAX_VALUE) }));
  await refuses(t, 'names', () => loadSafetensors(path, { names: any({ 0: 'a' }) }));
  await refuses(t, 'names[0]', () => loadSafetensors(path, { names: any([new BigInt64Array(2)]) }));
  await refuses(t, 'options', () => loadSafetensors(path, any(null)));
});

test('readCorpus with a non-string source in its array; brownParagraphs with non-number options (a third fuzz run)', async (t) => {
  const text = join(mkdtempSync(join(tmpdir(), 'svae-fuzz-helpers-')), 'a.txt');
  writeFileSync(text, 'One paragraph.\n');
  await refuses(t, 'source[1]', () => drain(readCorpus(any([text, Symbol('s')]))));
  await refuses(t, 'source[0]', () => drain(readCorpus(any([new Float64Array(3)]))));
  await refuses(t, 'minSentences', () => brownParagraphs(2, { minSentences: any(Object.create(null)) }));
  await refuses(t, 'maxSentences', () => brownParagraphs(2, { maxSentences: any(Symbol('s')) }));
  await refuses(t, 'maxChars', () => brownParagraphs(2, { maxChars: any('60') }));
});

test('readPlainText / readJsonl with null options or a bad lineJoin/field; fromParagraphs of a detached typed array (a fourth fuzz run)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-fuzz-helpers-'));
  const text = join(dir, 'a.txt');
  writeFileSync(text, 'One.\n\nTwo.\n');
  const jsonl = join(dir, 'a.jsonl');
  writeFileSync(jsonl, '{"text": "One."}\n');
  await refuses(t, 'options', () => drain(readPlainText(text, any(null))));
  await refuses(t, 'lineJoin', () => drain(readPlainText(text, { lineJoin: any(detached()) })));
  await refuses(t, 'lineJoin', () => drain(readPlainText(text, { lineJoin: any('\u0000') })));
  await refuses(t, 'options', () => drain(readJsonl(jsonl, any(null))));
  await refuses(t, 'field', () => drain(readJsonl(jsonl, { field: any(-1) })));
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  await refuses(t, 'paragraphs', () => SentenceDataset.fromParagraphs(any(detached()), tok));
  const paragraphs: string[] = [];
  for await (const p of readPlainText(text, { lineJoin: ' ' })) paragraphs.push(p.text);
  t.deepEqual(paragraphs, ['One.', 'Two.']);
});

test('opt.evaluate(data, null) names its options (a fourth fuzz run)', async (t) => {
  await using opt = await OPT.load(join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln'));
  await refuses(t, 'options', () => opt.evaluate(['Hello there. It was late.'], any(null)));
});
