import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';
import fc from 'fast-check';

import { FormatError, InvalidArgumentError, readBrown, segment, Tokenizer } from '../../lib/index.js';

test('the built-in tokenizer follows OPT conventions', async (t) => {
  const tok = await Tokenizer.builtin();
  t.is(tok.vocabSize, 50260);
  t.deepEqual(tok.special, { bos: 2, eos: 2, pad: 1, unk: 3 });
  const ids = await tok.encode('Hello world');
  t.is(ids[0], 2, 'bos = </s> = 2 is prepended');
  t.deepEqual(Array.from(ids), [2, 15496 + 4, 995 + 4], "GPT-2's ids shifted past the 4 special tokens");
  t.deepEqual(Array.from(await tok.encode('Hello', { addBos: false })), [15500]);
  t.is(await tok.decode([2, 15500, 2, 1, 1]), 'Hello', 'special tokens are skipped');
  t.is(await tok.decode([2, 15500, 2], { skipSpecialTokens: false }), '</s>Hello</s>');
});

test('ids outside the vocabulary are errors, never silently dropped', async (t) => {
  const tok = await Tokenizer.builtin();
  await t.throwsAsync(tok.decode([15500, 50260]), { instanceOf: InvalidArgumentError, message: 'Expected integer between 0 and 50259 for ids[1] but received 50260 of type number' });
  await t.throwsAsync(tok.decode([15500, -1]), { instanceOf: InvalidArgumentError, message: /for ids\[1\] but received -1/ });
  await t.throwsAsync(tok.decodeBatch([[15500], [99999]]), { instanceOf: InvalidArgumentError, message: /for batch\[1\]\[0\] but received 99999/ });
  await t.notThrowsAsync(tok.decode([15500, 50259]), 'the last id decodes');
});

test('the small built-in vocabulary has 4,096 ids and round-trips', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  t.is(tok.vocabSize, 4096);
  const text = 'Unbelievably, the naïve café served 日本 tea 🙂.';
  const ids = await tok.encode(text);
  t.true(ids.every((id) => id < 4096));
  t.is(await tok.decode(ids), text);
});

test('byte-level round trip on random well-formed text', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), async (s) => (await tok.decode(await tok.encode(s))) === s),
    { numRuns: 300 },
  );
  t.pass();
});

test('round trip over the whole Brown corpus, and segment-by-segment tokens equal whole-text tokens', async (t) => {
  const tok = await Tokenizer.builtin();
  const paragraphs: string[] = [];
  for await (const p of readBrown()) paragraphs.push(p.text);
  t.is(paragraphs.length, 15667);
  const whole = await tok.encodeBatch(paragraphs, { addBos: false });
  const decoded = await tok.decodeBatch(whole);
  const mismatched = paragraphs.filter((p, i) => decoded[i] !== p);
  t.deepEqual(mismatched, [], 'decode(encode(p)) === p for every paragraph');

  const segments = paragraphs.map((p) => segment(p));
  const pieces = await tok.encodeBatch(segments.flat(), { addBos: false });
  let k = 0;
  const different: number[] = [];
  segments.forEach((segs, i) => {
    const joined = segs.flatMap(() => Array.from(pieces[k++]!));
    const w = whole[i]!;
    if (joined.length !== w.length || joined.some((id, j) => id !== w[j])) different.push(i);
  });
  t.deepEqual(different, [], 'every Brown paragraph tokenizes the same segment by segment');
});

test('fromPretrained reads vocab.json + merges.txt and special tokens from the config files', async (t) => {
  const source = JSON.parse(readFileSync(join(Tokenizer.builtinPath('gpt2-opt-4k'), 'tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number>; merges: string[] };
  };
  const dir = mkdtempSync(join(tmpdir(), 'svae-tok-'));
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(source.model.vocab));
  writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${source.model.merges.join('\n')}\n`);
  // OPT's published files name unk '</s>'; a real '<unk>' in the vocabulary wins.
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ bos_token: '</s>', eos_token: '</s>', unk_token: '</s>', pad_token: { content: '<pad>' } }));
  const fromFiles = await Tokenizer.fromPretrained(dir);
  const builtin = await Tokenizer.builtin('gpt2-opt-4k');
  t.deepEqual(fromFiles.special, { bos: 2, eos: 2, pad: 1, unk: 3 });
  const text = 'The jury said, "no evidence" of irregularities.';
  t.deepEqual(await fromFiles.encode(text), await builtin.encode(text));
  t.is(await fromFiles.decode(await fromFiles.encode(text)), text);
});

test('bad tokenizer folders give FormatErrors naming the file', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'svae-tok-'));
  await t.throwsAsync(Tokenizer.fromPretrained(empty), { instanceOf: FormatError, message: /Expected tokenizer\.json, or vocab\.json and merges\.txt/ });
  const broken = mkdtempSync(join(tmpdir(), 'svae-tok-'));
  writeFileSync(join(broken, 'tokenizer.json'), '{"version": "1.0", "model": ');
  await t.throwsAsync(Tokenizer.fromPretrained(broken), { instanceOf: FormatError, message: /tokenizer\.json could not be loaded/ });
  const badMerge = mkdtempSync(join(tmpdir(), 'svae-tok-'));
  writeFileSync(join(badMerge, 'vocab.json'), JSON.stringify({ a: 0, b: 1, '</s>': 2 }));
  writeFileSync(join(badMerge, 'merges.txt'), '#version: 0.2\na b\n');
  await t.throwsAsync(Tokenizer.fromPretrained(badMerge), { instanceOf: FormatError, message: /do not form a BPE tokenizer: Token `ab` out of vocabulary/ });
  const noPad = mkdtempSync(join(tmpdir(), 'svae-tok-'));
  writeFileSync(join(noPad, 'vocab.json'), JSON.stringify({ a: 0, b: 1, '</s>': 2, ab: 3 }));
  writeFileSync(join(noPad, 'merges.txt'), '#version: 0.2\na b\n');
  await t.throwsAsync(Tokenizer.fromPretrained(noPad), { instanceOf: FormatError, message: /The pad token '<pad>' is not in the vocabulary/ });
});
