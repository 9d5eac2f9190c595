/**
 * Tokenizer.fromPretrained builds the tokenizer off the event loop (worker thread + the async
 * BPE.fromFile) instead of one blocking fromString: the result must be the same tokenizer as
 * fromString of the file gives, id for id and text for text.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';
import { Tokenizer as HfTokenizer } from 'tokenizers';

import { brownSentences, Tokenizer } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';

const tricky = [
  'Hello world.', ' leading space', 'trailing space ', 'tabs\tand\nnewlines\r\n', "it's we'll they'd I'm",
  'Ünïcödé façade — “quotes” and ‘apostrophes’', '中文，日本語。한국어！', 'emoji 😀👍🏽 and ZWJ 👩‍👩‍👧', '<s>hello</s><pad><unk>',
  '1234567890 3.14159 -42', '   ', '', 'a\u0085b\u00a0c\u2028d', '$%^&*()_+{}|:"<>?~`',
];

for (const name of ['gpt2-opt', 'gpt2-opt-4k'] as const) {
  test(`${name}: the off-loop tokenizer equals fromString's (ids, texts, vocabulary)`, async (t) => {
    const dir = Tokenizer.builtinPath(name);
    const reference = HfTokenizer.fromString(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    const tok = await Tokenizer.fromPretrained(dir);
    t.is(tok.vocabSize, reference.getVocabSize(true));
    const texts = [...tricky, ...(await brownSentences(tok, 300, 64))];
    const expected = (await reference.encodeBatch(texts, { addSpecialTokens: false })).map((e) => Array.from(e.getIds()));
    const actual = (await tok.encodeUncached(texts)).map((ids) => Array.from(ids));
    t.deepEqual(actual, expected);
    for (const skip of [true, false]) {
      t.deepEqual(await tok.decodeBatch(expected, { skipSpecialTokens: skip }), await reference.decodeBatch(expected, skip));
    }
    for (let id = 0; id < tok.vocabSize; id += 97) t.is(tok.idToToken(id), reference.idToToken(id) ?? undefined, `id ${id}`);
    for (let id = tok.vocabSize - 8; id < tok.vocabSize; id++) t.is(tok.idToToken(id), reference.idToToken(id) ?? undefined, `id ${id}`);
  });
}

test('a vocab.json + merges.txt folder loads off the loop to the same tokenizer as its tokenizer.json', async (t) => {
  const source = JSON.parse(readFileSync(join(packageRoot, 'assets', 'tokenizers', 'gpt2-opt', 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number>; merges: string[] } };
  const dir = mkdtempSync(join(tmpdir(), 'svae-tok-async-'));
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(source.model.vocab));
  writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${source.model.merges.join('\n')}\n\n`);
  const fromFiles = await Tokenizer.fromPretrained(dir);
  const builtin = await Tokenizer.builtin('gpt2-opt');
  t.is(fromFiles.vocabSize, builtin.vocabSize);
  t.deepEqual(fromFiles.special, builtin.special);
  const texts = [...tricky, ...(await brownSentences(builtin, 200, 64))];
  t.deepEqual(await fromFiles.encodeUncached(texts), await builtin.encodeUncached(texts));
  const ids = await builtin.encodeBatch(texts);
  t.deepEqual(await fromFiles.decodeBatch(ids), await builtin.decodeBatch(ids));
});
