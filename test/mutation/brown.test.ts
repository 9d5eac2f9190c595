/**
 * lib/data/brown.ts, for `npm run mutate -- lib/data/brown.ts`: the detokenizer's every glue
 * rule, readBrown against the corpus files read as plain text (paragraph = block of tagged
 * sentences, its line, file order), and the samplers' counts, limits and defaults.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { brownDir, brownParagraphs, brownSentences, detokenizeBrown, readBrown } from '../../lib/data/brown.js';
import { readPlainText, type Paragraph } from '../../lib/data/corpus.js';
import { firstBrown } from './brownText.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { segment } from '../../lib/text/segment.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';

const any = (v: unknown) => v as never;
const bad = (message: string | RegExp) => ({ instanceOf: InvalidArgumentError, message });

test('detokenizeBrown: tags stripped, no space before closing marks or after opening ones, quotes straightened', (t) => {
  for (const mark of [',', '.', ';', ':', '!', '?', ')', ']', '}', "'", '%']) t.is(detokenizeBrown(`a/at ${mark}/x b/nn`), `a${mark} b`, `before ${mark}`);
  t.is(detokenizeBrown("a/at ''/'' b/nn"), 'a" b');
  for (const mark of ['(', '[', '{', '$']) t.is(detokenizeBrown(`a/at ${mark}/x b/nn`), `a ${mark}b`, `after ${mark}`);
  t.is(detokenizeBrown('a/at ``/`` b/nn'), 'a "b');
  t.is(detokenizeBrown('a/at `/` b/nn'), "a 'b");
  t.is(detokenizeBrown('  \tThe/at 1/2/cd  cup/nn  '), 'The 1/2 cup');
  t.is(detokenizeBrown('/x word'), '/x word', 'a slash at 0 or none: the token is the word');
  t.is(detokenizeBrown(''), '');
  t.is(detokenizeBrown('(/( a/at )/)'), '(a)', 'the first word is glued to nothing');
  t.is(detokenizeBrown('x/y ``/`` ``/`` z/q'), 'x ""z');
  t.throws(() => detokenizeBrown(any(null)), bad(/^Expected string for tagged but received null/));
});

test('readBrown: the tagged blocks of the corpus files, detokenized, joined by one space, with file and line, in file order', async (t) => {
  const dir = brownDir();
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  t.is(files.length, 500);
  const want: Paragraph[] = [];
  // Through ca32: ca19 has a line of only whitespace (a paragraph break), ca32 ends without a blank line.
  for (const name of files.slice(0, 32)) {
    for await (const p of readPlainText(join(dir, name))) {
      want.push({ text: p.text.split('\n').map(detokenizeBrown).join(' '), source: { path: `brown/${name}`, line: p.source.line } });
    }
  }
  const got: Paragraph[] = [];
  for await (const p of readBrown()) {
    if (got.length === want.length) break;
    got.push(p);
  }
  t.deepEqual(got, want);
  t.deepEqual(got[0]!.source, { path: 'brown/ca01', line: 3 });
  t.true(got[0]!.text.startsWith('The Fulton County Grand Jury said Friday'));
  t.true(want.some((p) => p.text.includes('" ') && p.source.path === 'brown/ca02'));
  t.is(want.at(-1)!.source.path, 'brown/ca32');
  t.true(want.every((p) => p.text.length > 0 && !p.text.startsWith(' ') && !p.text.endsWith(' ')));
});

test('brownSentences: the first segments of at most maxTokens tokens, in corpus order; arguments named', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const want: string[] = [];
  for await (const p of readBrown()) {
    for (const s of segment(p.text)) if (want.length < 40 && (await tok.encode(s)).length <= 12) want.push(s);
    if (want.length >= 40) break;
  }
  t.deepEqual(await brownSentences(tok, 40, 12), want);
  t.deepEqual(await brownSentences(tok, 3, 12), want.slice(0, 3));
  t.deepEqual(await brownSentences(tok, 0, 12), []);
  const one = await brownSentences(tok, 5, 13);
  t.true(one.length === 5 && (await tok.encodeBatch(one)).every((ids) => ids.length <= 13));
  t.true((await tok.encodeBatch(await brownSentences(tok, 60, 12))).some((ids) => ids.length === 12), 'exactly maxTokens is kept');
  await t.throwsAsync(brownSentences(any('tok'), 1, 8), bad(/^Expected Tokenizer for tokenizer but received/));
  await t.throwsAsync(brownSentences(tok, -1, 8), bad('Expected integer >= 0 for count but received -1 of type number'));
  await t.throwsAsync(brownSentences(tok, 1, 0), bad('Expected integer >= 1 for maxTokens but received 0 of type number'));
});

test('brownParagraphs: 3..4 segments of at most 60 characters by default, in corpus order; arguments named', async (t) => {
  const pick = async (count: number, min: number, max: number, chars: number) => {
    const out: string[] = [];
    for await (const p of readBrown()) {
      if (out.length >= count) break;
      const segs = segment(p.text);
      if (segs.length >= min && segs.length <= max && segs.every((s) => s.length <= chars)) out.push(p.text);
    }
    return out;
  };
  const defaults = await brownParagraphs(4);
  t.deepEqual(defaults, await pick(4, 3, 4, 60));
  t.is(defaults.length, 4);
  t.deepEqual(await brownParagraphs(3, { minSentences: 1, maxSentences: 2, maxChars: 80 }), await pick(3, 1, 2, 80));
  t.deepEqual(await brownParagraphs(2, { minSentences: 3, maxSentences: 3, maxChars: 61 }), await pick(2, 3, 3, 61));
  t.deepEqual(await brownParagraphs(0), []);
  // maxChars is inclusive: the first paragraph qualifies with its longest segment's length, not one less.
  const [first] = await firstBrown(1);
  const segs = segment(first!);
  const longest = Math.max(...segs.map((x) => x.length));
  const exact = { minSentences: segs.length, maxSentences: segs.length, maxChars: longest };
  t.deepEqual(await brownParagraphs(1, exact), [first]);
  t.notDeepEqual(await brownParagraphs(1, { ...exact, maxChars: longest - 1 }), [first]);
  await t.throwsAsync(brownParagraphs(-1), bad('Expected integer >= 0 for count but received -1 of type number'));
  await t.throwsAsync(brownParagraphs(1, any(2)), bad(/^Expected options object for options but received 2/));
  await t.throwsAsync(brownParagraphs(1, { minSentences: -1 }), bad(/for minSentences but received -1/));
  await t.throwsAsync(brownParagraphs(1, { maxSentences: -1 }), bad(/for maxSentences but received -1/));
  await t.throwsAsync(brownParagraphs(1, { maxChars: -1 }), bad(/for maxChars but received -1/));
});
