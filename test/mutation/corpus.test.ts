/**
 * lib/data/corpus.ts (and the line reader under it), for `npm run mutate -- lib/data/corpus.ts`:
 * every text extension (any case) and nothing else, sorted folders, the checks of checkCorpus and
 * readCorpus and which source they name, plain-text and JSONL edge cases, the split's defaults and
 * ends (fraction 0 and 1, seed), and what filterSplit checks before the first paragraph. Brown
 * paragraphs as the text.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { hashString } from '../../lib/data/rng.js';
import { checkCorpus, expectIterable, filterSplit, paragraphText, readCorpus, readJsonl, readPlainText, splitOf, type Paragraph } from '../../lib/data/corpus.js';
import { FormatError } from '../../lib/errors/FormatError.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { firstBrown } from './brownText.js';

const any = (v: unknown) => v as never;
const bad = (message: string | RegExp) => ({ instanceOf: InvalidArgumentError, message });
const tmp = () => mkdtempSync(join(tmpdir(), 'svae-corpusm-'));
const collect = async (it: AsyncIterable<Paragraph>) => {
  const out: Paragraph[] = [];
  for await (const p of it) out.push(p);
  return out;
};
async function* asAsync(texts: string[]): AsyncGenerator<Paragraph> {
  for (const [i, text] of texts.entries()) yield { text, source: { path: 'brown', line: i + 1 } };
}

test('readCorpus: every text extension in any case, nothing else, sorted, sub-folders; .jsonl and .ndjson as JSON lines', async (t) => {
  const [a, b, c, d, e, f] = await firstBrown(6);
  const dir = tmp();
  mkdirSync(join(dir, 'z-sub'));
  writeFileSync(join(dir, '1.txt'), a!);
  writeFileSync(join(dir, '2.TEXT'), b!);
  writeFileSync(join(dir, '3.md'), c!);
  writeFileSync(join(dir, '4.JSONL'), `${JSON.stringify({ text: d })}\n`);
  writeFileSync(join(dir, '5.ndjson'), `${JSON.stringify({ text: e })}\n`);
  writeFileSync(join(dir, 'z-sub', '6.txt'), f!);
  writeFileSync(join(dir, '7.json'), '{"text": "no"}');
  writeFileSync(join(dir, '8.csv'), 'no');
  writeFileSync(join(dir, 'txt'), 'no');
  const paragraphs = await collect(readCorpus(dir));
  t.deepEqual(paragraphs.map((p) => p.text), [a, b, c, d, e, f]);
  t.deepEqual(paragraphs.map((p) => p.source.path), ['1.txt', '2.TEXT', '3.md', '4.JSONL', '5.ndjson', join('z-sub', '6.txt')].map((n) => join(dir, n)));
  t.deepEqual((await collect(readCorpus([join(dir, '5.ndjson'), join(dir, '1.txt')]))).map((p) => p.text), [e, a]);
  t.deepEqual((await collect(readCorpus(join(dir, '7.json')))).map((p) => p.text), ['{"text": "no"}'], 'a file named directly is read as plain text');
  await t.notThrowsAsync(checkCorpus(dir));
  await t.notThrowsAsync(checkCorpus([dir, 'brown']));
});

test('readCorpus / checkCorpus: which source an error names', async (t) => {
  const dir = tmp();
  const missing = join(dir, 'missing');
  await t.throwsAsync(collect(readCorpus(missing)), { instanceOf: FormatError, message: `${missing}: no such file or folder` });
  await t.throwsAsync(checkCorpus(missing), { instanceOf: FormatError, message: `${missing}: no such file or folder` });
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'data.bin'), 'x');
  await t.throwsAsync(checkCorpus(empty), { instanceOf: FormatError, message: `${empty}: the folder holds no text files (.txt, .text, .md, .jsonl, .ndjson)` });
  t.deepEqual(await collect(readCorpus(empty)), []);
  await t.throwsAsync(checkCorpus(any(5)), bad(/^Expected 'brown', a path, or an array of paths for source but received 5/));
  await t.throwsAsync(checkCorpus(['brown', any(null)]), bad(/^Expected 'brown' or a path for source but received null/));
  await t.throwsAsync(collect(readCorpus(any({}))), bad(/^Expected 'brown', a path, or an array of paths for source but received/));
  await t.throwsAsync(collect(readCorpus(['brown', any(7)])), bad(/^Expected 'brown' or a path for source\[1\] but received 7/));
  await t.notThrowsAsync(checkCorpus('brown'));
  const first = (await readCorpus(['brown']).next()).value as Paragraph;
  t.is(first.text, (await firstBrown(1))[0]!);
});

test('readPlainText: line joins, blank lines of spaces, line numbers; a bad lineJoin named', async (t) => {
  const [a, b] = await firstBrown(2);
  const file = join(tmp(), 'p.txt');
  writeFileSync(file, `\n \n${a}\nsecond line\n\t\n${b}`);
  const paragraphs = await collect(readPlainText(file));
  t.deepEqual(paragraphs.map((p) => [p.text, p.source.line]), [[`${a}\nsecond line`, 3], [b, 6]]);
  t.deepEqual((await collect(readPlainText(file, { lineJoin: '\n' }))).map((p) => p.text), paragraphs.map((p) => p.text));
  t.is((await collect(readPlainText(file, { lineJoin: ' ' })))[0]!.text, `${a} second line`);
  await t.throwsAsync(collect(readPlainText(file, { lineJoin: any('') })), bad(/^Expected '\\n' or ' ' for lineJoin but received '' of type string/));
  await t.throwsAsync(collect(readPlainText(file, any(3))), bad(/^Expected options object for options but received 3/));
});

test('readJsonl: the text field by default, blank lines skipped, what a bad record holds', async (t) => {
  const [a] = await firstBrown(1);
  const dir = tmp();
  const file = join(dir, 'r.jsonl');
  writeFileSync(file, `\n${JSON.stringify({ text: a, body: 'b' })}\n   \n${JSON.stringify({ body: a })}\n`);
  const error = await t.throwsAsync(collect(readJsonl(file)), { instanceOf: FormatError, message: `${file}:4: expected a string field 'text' but found none` });
  t.deepEqual([(error as FormatError & { line?: number }).line, (error as FormatError & { path?: string }).path], [4, file]);
  t.deepEqual((await collect(readJsonl(file, { field: 'body' }))).map((p) => [p.text, p.source.line]), [['b', 2], [a, 4]]);
  const numbers = join(dir, 'n.jsonl');
  writeFileSync(numbers, '{"text": 5}\n');
  await t.throwsAsync(collect(readJsonl(numbers)), { instanceOf: FormatError, message: `${numbers}:1: expected a string field 'text' but found number` });
  const nulls = join(dir, 'z.jsonl');
  writeFileSync(nulls, 'null\n');
  await t.throwsAsync(collect(readJsonl(nulls)), { instanceOf: FormatError, message: `${nulls}:1: expected a string field 'text' but found none` });
  const broken = join(dir, 'b.jsonl');
  writeFileSync(broken, '\n{"text"\n');
  const e2 = await t.throwsAsync(collect(readJsonl(broken)), { instanceOf: FormatError, message: new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: invalid JSON \\(.+\\)$`) });
  t.deepEqual([(e2 as FormatError & { line?: number }).line, (e2 as FormatError & { path?: string }).path], [2, broken]);
  await t.throwsAsync(collect(readJsonl(any(1))), bad(/^Expected string for path but received 1/));
  await t.throwsAsync(collect(readJsonl(file, any(1))), bad(/^Expected options object for options but received 1/));
  await t.throwsAsync(collect(readJsonl(file, { field: any(1) })), bad(/^Expected string for field but received 1/));
});

test('expectIterable / paragraphText: what counts as paragraphs, named', (t) => {
  t.notThrows(() => expectIterable([], 'p', 'iterable'));
  t.notThrows(() => expectIterable(new Set(['a']), 'p', 'iterable'));
  t.notThrows(() => expectIterable(asAsync([]), 'p', 'iterable'));
  t.notThrows(() => expectIterable('text', 'p', 'iterable'));
  for (const v of [null, undefined, 5, {}, new Uint8Array(2), { [Symbol.iterator]: 1 }, { [Symbol.asyncIterator]: 'x' }]) {
    t.throws(() => expectIterable(v, 'paras', 'thing to walk'), bad(/^Expected thing to walk for paras but received/));
  }
  t.is(paragraphText('a', 'p'), 'a');
  t.is(paragraphText({ text: 'b', source: {} }, 'p'), 'b');
  for (const v of [null, undefined, 3, { text: 3 }, {}, ['a']]) t.throws(() => paragraphText(v, 'paragraphs[4]'), bad(/^Expected paragraph \(a string or \{ text \}\) for paragraphs\[4\] but received/));
});

test('splitOf: hash below the fraction; 0.02 and seed 0 by default; the ends 0 and 1; options checked', async (t) => {
  const brown = await firstBrown(200);
  const held = (options: { validationFraction?: number; seed?: number }) => brown.filter((p) => splitOf(p, options) === 'validation');
  for (const p of brown.slice(0, 50)) {
    t.is(splitOf(p), hashString(p, 0) / 4294967296 < 0.02 ? 'validation' : 'train');
    t.is(splitOf(p, { validationFraction: 0.5, seed: 3 }), hashString(p, 3) / 4294967296 < 0.5 ? 'validation' : 'train');
  }
  t.deepEqual(held({}), held({ validationFraction: 0.02, seed: 0 }));
  t.notDeepEqual(held({ validationFraction: 0.5 }), held({ validationFraction: 0.5, seed: 1 }));
  t.true(held({ validationFraction: 0.1 }).length > 5);
  t.notDeepEqual(held({}), held({ validationFraction: 0.1 }));
  t.deepEqual(held({ validationFraction: 0 }), []);
  t.is(held({ validationFraction: 1 }).length, brown.length);
  t.is(splitOf('', { validationFraction: 1 }), 'validation');
  t.throws(() => splitOf('a', { validationFraction: 1.01 }), bad(/for validationFraction but received 1.01/));
  t.throws(() => splitOf('a', { validationFraction: -0.01 }), bad(/for validationFraction but received -0.01/));
  t.throws(() => splitOf(any(1)), bad(/^Expected string for text but received 1/));
  t.throws(() => splitOf('a', any(null)), bad(/^Expected options object for options but received null/));
});

test('filterSplit: one split of the paragraphs in order; its arguments checked before the first paragraph', async (t) => {
  const brown = await firstBrown(60);
  const options = { validationFraction: 0.3, seed: 2 };
  const validation = await collect(filterSplit(asAsync(brown), 'validation', options));
  const train = await collect(filterSplit(asAsync(brown), 'train', options));
  t.deepEqual(validation.map((p) => p.text), brown.filter((p) => splitOf(p, options) === 'validation'));
  t.deepEqual(train.map((p) => p.text), brown.filter((p) => splitOf(p, options) === 'train'));
  t.true(validation.length > 0 && train.length > 0);
  t.deepEqual((await collect(filterSplit(asAsync(brown), 'train'))).map((p) => p.text), brown.filter((p) => splitOf(p) === 'train'));
  await t.throwsAsync(collect(filterSplit(asAsync([]), 'validation', { validationFraction: 2 })), bad(/for validationFraction but received 2/));
  await t.throwsAsync(collect(filterSplit(asAsync([]), any('test'))), bad("Expected one of 'train', 'validation' for split but received 'test' of type string"));
  await t.throwsAsync(collect(filterSplit(any(7), 'train')), bad(/^Expected async iterable of paragraphs for paragraphs but received 7/));
  await t.throwsAsync(collect(filterSplit(asAsync([]), 'train', any(4))), bad(/^Expected options object for options but received 4/));
  async function* broken() {
    yield { text: brown[0]!, source: { path: 'x', line: 1 } };
    yield any({ body: 'no text' });
  }
  await t.throwsAsync(collect(filterSplit(broken(), 'train', { validationFraction: 0 })), bad(/for paragraphs\[1\] but received/));
});

test('folders are read in JavaScript string order, not the file system\'s; blank lines at the end make no paragraph; errors carry their path', async (t) => {
  const [a, b] = await firstBrown(2);
  const dir = tmp();
  // UTF-16 order puts the emoji (a surrogate pair) before U+FF5A; UTF-8 byte order (libuv's scandir sort) after it.
  writeFileSync(join(dir, '\uff5a.txt'), `${a}\n\n \n\n`);
  writeFileSync(join(dir, '\u{1F642}.txt'), `${b}\n`);
  t.deepEqual((await collect(readCorpus(dir))).map((p) => p.text), [b, a]);
  const missing = join(dir, 'nothing');
  const e1 = await t.throwsAsync(collect(readCorpus(missing)), { instanceOf: FormatError });
  t.is((e1 as FormatError & { path?: string }).path, missing);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const e2 = await t.throwsAsync(checkCorpus(empty), { instanceOf: FormatError });
  t.is((e2 as FormatError & { path?: string }).path, empty);
  t.throws(() => paragraphText(Object.assign(() => 0, { text: 'a' }), 'paragraphs[0]'), bad(/^Expected paragraph \(a string or \{ text \}\) for paragraphs\[0\] but received a function/));
});
