/**
 * lib/text/Tokenizer.ts, for `npm run mutate -- lib/text/Tokenizer.ts`, with the shipped
 * tokenizer files and folders built from them: where special tokens come from (map before
 * config, `{ content }` records, defaults, a real '<unk>'), both loaders, resolve / builtin /
 * hasFiles, the defaults of encode and decode, the id range, empty batches, copyFilesTo, and which
 * argument an error names. Brown text where text is needed.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError } from '../../lib/errors/FormatError.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { builtinTokenizers, Tokenizer } from '../../lib/text/Tokenizer.js';
import { firstBrown } from './brownText.js';

const any = (v: unknown) => v as never;
const bad = (message: string | RegExp) => ({ instanceOf: InvalidArgumentError, message });
const small = Tokenizer.builtinPath('gpt2-opt-4k');
const folder = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-tokm-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
const tokenizerJson = () => readFileSync(join(small, 'tokenizer.json'), 'utf8');

test('builtin: gpt2-opt by default, each name loaded once, a bad name listed; builtinPath; the names', async (t) => {
  t.deepEqual([...builtinTokenizers], ['gpt2-opt', 'gpt2-opt-4k']);
  const a = await Tokenizer.builtin();
  t.is(a.vocabSize, 50260);
  t.is(a.source, Tokenizer.builtinPath('gpt2-opt'));
  t.is(await Tokenizer.builtin('gpt2-opt'), a);
  const b = await Tokenizer.builtin('gpt2-opt-4k');
  t.is(b.vocabSize, 4096);
  t.is(await Tokenizer.builtin('gpt2-opt-4k'), b);
  t.true(existsSync(join(small, 'tokenizer.json')));
  t.throws(() => Tokenizer.builtin(any('gpt3')), bad("Expected one of 'gpt2-opt', 'gpt2-opt-4k' for name but received 'gpt3' of type string"));
});

test('resolve: undefined -> the fallback, a Tokenizer as is, built-in names, folders; anything else named', async (t) => {
  const b = await Tokenizer.builtin('gpt2-opt-4k');
  t.is(await Tokenizer.resolve(undefined, 'gpt2-opt-4k'), b);
  t.is(await Tokenizer.resolve(b, 'gpt2-opt'), b);
  t.is(await Tokenizer.resolve('gpt2-opt-4k', 'gpt2-opt'), b);
  const dir = folder({ 'tokenizer.json': tokenizerJson() });
  const fromDir = await Tokenizer.resolve(dir, 'gpt2-opt');
  t.is(fromDir.source, dir);
  t.is(fromDir.vocabSize, 4096);
  t.throws(() => Tokenizer.resolve(any(42), 'gpt2-opt'), bad(/^Expected Tokenizer, built-in tokenizer name or folder for tokenizer but received 42/));
  await t.throwsAsync(Tokenizer.resolve(join(dir, 'missing'), 'gpt2-opt'), { instanceOf: FormatError });
});

test('hasFiles: tokenizer.json, or vocab.json and merges.txt together', (t) => {
  t.true(Tokenizer.hasFiles(small));
  t.true(Tokenizer.hasFiles(folder({ 'tokenizer.json': '{}' })));
  t.true(Tokenizer.hasFiles(folder({ 'vocab.json': '{}', 'merges.txt': '' })));
  t.false(Tokenizer.hasFiles(folder({ 'vocab.json': '{}' })));
  t.false(Tokenizer.hasFiles(folder({ 'merges.txt': '' })));
  t.false(Tokenizer.hasFiles(folder({})));
  t.throws(() => Tokenizer.hasFiles(any(null)), bad(/^Expected string for dir but received null/));
});

test('fromPretrained: special tokens from special_tokens_map.json first, then tokenizer_config.json, then OPT defaults; a real <unk> wins', async (t) => {
  const dir = folder({
    'tokenizer.json': tokenizerJson(),
    'special_tokens_map.json': JSON.stringify({ bos_token: { content: '<s>' }, unk_token: '</s>', pad_token: null }),
    'tokenizer_config.json': JSON.stringify({ bos_token: '</s>', eos_token: { content: '<pad>' }, pad_token: { content: null } }),
  });
  const tok = await Tokenizer.fromPretrained(dir);
  t.deepEqual(tok.special, { bos: 0, eos: 1, pad: 1, unk: 3 });
  t.deepEqual([tok.bosId, tok.eosId, tok.padId, tok.unkId], [0, 1, 1, 3]);
  t.is(tok.source, dir);
  const configOnly = await Tokenizer.fromPretrained(folder({ 'tokenizer.json': tokenizerJson(), 'tokenizer_config.json': JSON.stringify({ pad_token: '<s>', eos_token: '<unk>' }) }));
  t.deepEqual(configOnly.special, { bos: 2, eos: 3, pad: 0, unk: 3 });
  const none = await Tokenizer.fromPretrained(folder({ 'tokenizer.json': tokenizerJson() }));
  t.deepEqual(none.special, { bos: 2, eos: 2, pad: 1, unk: 3 });
  await t.throwsAsync(Tokenizer.fromPretrained(folder({ 'tokenizer.json': tokenizerJson(), 'special_tokens_map.json': '{"bos_token": ' })), { instanceOf: FormatError, message: /special_tokens_map\.json is not valid JSON: / });
  const badConfig = folder({ 'tokenizer.json': tokenizerJson(), 'tokenizer_config.json': 'nope' });
  const error = await t.throwsAsync(Tokenizer.fromPretrained(badConfig), { instanceOf: FormatError, message: /^\S+tokenizer_config\.json is not valid JSON: / });
  t.is((error as FormatError & { path?: string }).path, join(badConfig, 'tokenizer_config.json'));
  await t.throwsAsync(Tokenizer.fromPretrained(folder({ 'tokenizer.json': tokenizerJson(), 'special_tokens_map.json': JSON.stringify({ eos_token: '<nope>' }) })), { instanceOf: FormatError, message: /^The eos token '<nope>' is not in the vocabulary of / });
  await t.throwsAsync(Tokenizer.fromPretrained(any(undefined)), bad(/^Expected string for dir but received/));
  const empty = folder({});
  await t.throwsAsync(Tokenizer.fromPretrained(empty), { instanceOf: FormatError, message: `Expected tokenizer.json, or vocab.json and merges.txt, in ${empty} but found neither` });
  await t.throwsAsync(Tokenizer.fromPretrained(folder({ 'vocab.json': '{}' })), { instanceOf: FormatError, message: /but found neither$/ });
});

test('fromPretrained from vocab.json + merges.txt: special tokens are whole tokens; unk from the files when there is no <unk>', async (t) => {
  const vocab = { a: 0, b: 1, '</s>': 2, ab: 3, '<pad>': 4, '<s>': 5 };
  const dir = folder({ 'vocab.json': JSON.stringify(vocab), 'merges.txt': '#version: 0.2\na b\n', 'special_tokens_map.json': JSON.stringify({ unk_token: '</s>', bos_token: '<s>' }) });
  const tok = await Tokenizer.fromPretrained(dir);
  t.deepEqual(tok.special, { bos: 5, eos: 2, pad: 4, unk: 2 });
  t.deepEqual(Array.from(await tok.encode('ab</s>a<pad>b<s>', { addBos: false })), [3, 2, 0, 4, 1, 5]);
  const noUnk = folder({ 'vocab.json': JSON.stringify(vocab), 'merges.txt': '#version: 0.2\na b\n' });
  await t.throwsAsync(Tokenizer.fromPretrained(noUnk), { instanceOf: FormatError, message: `The unk token '<unk>' is not in the vocabulary of ${noUnk}` });
  const broken = folder({ 'vocab.json': JSON.stringify({ a: 0 }), 'merges.txt': '#version: 0.2\na b\n' });
  await t.throwsAsync(Tokenizer.fromPretrained(broken), { instanceOf: FormatError, message: new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: vocab.json/merges.txt do not form a BPE tokenizer: `) });
});

test('encode / encodeBatch / encodeUncached: bos first by default, the same ids cached or not, empty batches', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const texts = await firstBrown(3);
  const content = await tok.encodeUncached(texts);
  t.true(content.every((c) => c.length > 10 && c[0] !== tok.bosId));
  t.deepEqual(await tok.encode(texts[0]!, { addBos: false }), content[0]);
  t.deepEqual(Array.from(await tok.encode(texts[0]!)), [tok.bosId, ...content[0]!]);
  t.deepEqual(Array.from(await tok.encode(texts[0]!, { addBos: true })), [tok.bosId, ...content[0]!]);
  t.deepEqual(await tok.encodeBatch(texts, { addBos: false }), content);
  t.deepEqual((await tok.encodeBatch(texts)).map((r) => Array.from(r)), content.map((c) => [tok.bosId, ...c]));
  t.deepEqual(await tok.encodeBatch([]), []);
  t.deepEqual(await tok.encodeBatch([], { addBos: false }), []);
  t.deepEqual(await tok.encodeUncached([]), []);
  t.deepEqual(Array.from(await tok.encode('')), [tok.bosId]);
  // A tokenizer the pre-token cache does not support (a normalizer) encodes through the binding alike.
  const json = JSON.parse(tokenizerJson()) as Record<string, unknown>;
  json.normalizer = { type: 'Lowercase' };
  const lower = await Tokenizer.fromPretrained(folder({ 'tokenizer.json': JSON.stringify(json) }));
  t.deepEqual(await lower.encodeBatch(texts, { addBos: false }), await tok.encodeUncached(texts.map((s) => s.toLowerCase())));
  await t.throwsAsync(tok.encode(any(5)), bad(/^Expected string for text but received 5/));
  await t.throwsAsync(tok.encode('a', any(5)), bad(/^Expected options object for options but received 5/));
  await t.throwsAsync(tok.encodeBatch(any('abc')), bad(/^Expected array of strings for texts but received/));
  await t.throwsAsync(tok.encodeBatch(['a', any(1)]), bad(/^Expected string for texts\[1\] but received 1/));
  await t.throwsAsync(tok.encodeBatch(['a'], any(1)), bad(/^Expected options object for options but received 1/));
  await t.throwsAsync(tok.encodeUncached(any(null)), bad(/^Expected array of strings for texts but received null/));
});

test('decode / decodeBatch: special tokens skipped by default, ids in [0, vocabSize), empty batches, errors named', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const text = (await firstBrown(1))[0]!;
  const ids = await tok.encode(text!);
  t.is(await tok.decode(ids), text);
  t.is(await tok.decode(ids, {}), text);
  t.is(await tok.decode(ids, { skipSpecialTokens: true }), text);
  t.is(await tok.decode(ids, { skipSpecialTokens: false }), `</s>${text}`);
  t.is(await tok.decode([0, 4095]), await tok.decode([4095], { skipSpecialTokens: false }));
  t.deepEqual(await tok.decodeBatch([ids, [1, 2, 3]]), [text, '']);
  t.deepEqual(await tok.decodeBatch([ids], { skipSpecialTokens: false }), [`</s>${text}`]);
  t.deepEqual(await tok.decodeBatch([]), []);
  await t.throwsAsync(tok.decode([4096]), bad('Expected integer between 0 and 4095 for ids[0] but received 4096 of type number'));
  await t.throwsAsync(tok.decode(any(7)), bad(/^Expected array of ids for ids but received 7/));
  await t.throwsAsync(tok.decode(any(null)), bad(/^Expected array of ids for ids but received null/));
  await t.throwsAsync(tok.decode(any({ length: '1' })), bad(/^Expected array of ids for ids but received/));
  await t.throwsAsync(tok.decode([5], any({ skipSpecialTokens: 1 })), bad(/^Expected boolean for skipSpecialTokens but received 1/));
  await t.throwsAsync(tok.decodeBatch(any('ids')), bad(/^Expected array of id arrays for batch but received/));
  await t.throwsAsync(tok.decodeBatch([[5], any(undefined)]), bad(/^Expected array of ids for batch\[1\] but received/));
  await t.throwsAsync(tok.decodeBatch([[5]], any({ skipSpecialTokens: 'no' })), bad(/^Expected boolean for skipSpecialTokens but received/));
  await t.throwsAsync(tok.decodeBatch([], any({ skipSpecialTokens: 'no' })), bad(/for skipSpecialTokens/));
});

test('idToToken: a byte-level symbol, undefined past the vocabulary, a non-negative integer', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  t.is(tok.idToToken(2), '</s>');
  t.is(tok.idToToken(0), '<s>');
  t.is(tok.idToToken(4096 + 10), undefined);
  t.throws(() => tok.idToToken(-1), bad('Expected integer >= 0 for id but received -1 of type number'));
});

test('copyFilesTo: the tokenizer files that exist, into another folder; the same folder is left alone', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const out = mkdtempSync(join(tmpdir(), 'svae-tokm-out-'));
  await tok.copyFilesTo(out);
  t.deepEqual(readdirSync(out).sort(), ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  t.is(readFileSync(join(out, 'tokenizer.json'), 'utf8'), tokenizerJson());
  const vocab = { a: 0, b: 1, '</s>': 2, ab: 3, '<pad>': 4, '<unk>': 5 };
  const src = folder({ 'vocab.json': JSON.stringify(vocab), 'merges.txt': '#version: 0.2\na b\n' });
  const pair = await Tokenizer.fromPretrained(src);
  mkdirSync(join(src, 'tokenizer_config.json')); // a folder of that name is not copied
  await t.throwsAsync(Tokenizer.fromPretrained(src), { instanceOf: FormatError, message: /^Expected a regular file for \S+tokenizer_config\.json but received a directory$/ });
  const out2 = mkdtempSync(join(tmpdir(), 'svae-tokm-out-'));
  await pair.copyFilesTo(out2);
  t.deepEqual(readdirSync(out2).sort(), ['merges.txt', 'vocab.json']);
  await t.notThrowsAsync(pair.copyFilesTo(src));
  const copy = mkdtempSync(join(tmpdir(), 'svae-tokm-'));
  copyFileSync(join(small, 'tokenizer.json'), join(copy, 'tokenizer.json'));
  const again = await Tokenizer.fromPretrained(copy);
  await again.copyFilesTo(copy);
  t.deepEqual(readdirSync(copy), ['tokenizer.json']);
});

test('vocab.json + merges.txt: <s>, <pad>, </s> and <unk> are whole tokens even when the config names other special tokens', async (t) => {
  const vocab = { a: 0, b: 1, ab: 2, '<s>': 3, '<pad>': 4, '</s>': 5, '<unk>': 6, '<x>': 7 };
  const x = { bos_token: '<x>', eos_token: '<x>', pad_token: '<x>', unk_token: '<x>' };
  const tok = await Tokenizer.fromPretrained(folder({ 'vocab.json': JSON.stringify(vocab), 'merges.txt': '#version: 0.2\na b\n', 'special_tokens_map.json': JSON.stringify(x) }));
  t.deepEqual(tok.special, { bos: 7, eos: 7, pad: 7, unk: 6 });
  t.deepEqual(Array.from(await tok.encode('<s>ab<pad></s><unk><x>', { addBos: false })), [3, 2, 4, 5, 6, 7]);
});

test('errors of fromPretrained carry the path they name', async (t) => {
  const path = (e: unknown) => (e as { path?: string }).path;
  const broken = folder({ 'tokenizer.json': '{"version": "1.0", "model": ' });
  const e1 = await t.throwsAsync(Tokenizer.fromPretrained(broken), { instanceOf: FormatError, message: new RegExp(`^${join(broken, 'tokenizer.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be loaded: .+`) });
  t.is(path(e1), join(broken, 'tokenizer.json'));
  const pair = folder({ 'vocab.json': JSON.stringify({ a: 0 }), 'merges.txt': '#version: 0.2\na b\n' });
  t.is(path(await t.throwsAsync(Tokenizer.fromPretrained(pair), { instanceOf: FormatError })), pair);
  // A file the binding itself refuses (after the worker parsed it): the message and path of fromPretrained's own FormatError.
  const json = JSON.parse(tokenizerJson()) as { model: Record<string, unknown> };
  json.model.dropout = 'high';
  const refused = folder({ 'tokenizer.json': JSON.stringify(json) });
  const e2 = await t.throwsAsync(Tokenizer.fromPretrained(refused), { instanceOf: FormatError, message: new RegExp(`^${join(refused, 'tokenizer.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be loaded: .+`) });
  t.is(path(e2), join(refused, 'tokenizer.json'));
  const empty = folder({});
  t.is(path(await t.throwsAsync(Tokenizer.fromPretrained(empty), { instanceOf: FormatError })), empty);
  const mergesOnly = folder({ 'merges.txt': '#version: 0.2\na b\n' });
  await t.throwsAsync(Tokenizer.fromPretrained(mergesOnly), { instanceOf: FormatError, message: `Expected tokenizer.json, or vocab.json and merges.txt, in ${mergesOnly} but found neither` });
  t.false(Tokenizer.hasFiles(mergesOnly));
  const noEos = folder({ 'tokenizer.json': tokenizerJson(), 'special_tokens_map.json': JSON.stringify({ eos_token: '<nope>' }) });
  t.is(path(await t.throwsAsync(Tokenizer.fromPretrained(noEos), { instanceOf: FormatError })), noEos);
});

test('vocabSize counts added tokens outside the model vocabulary; encodeUncached adds no special tokens even with a post-processor', async (t) => {
  const json = JSON.parse(tokenizerJson()) as { added_tokens: object[]; post_processor: unknown };
  json.added_tokens.push({ id: 4096, content: '<extra>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  json.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
  };
  const tok = await Tokenizer.fromPretrained(folder({ 'tokenizer.json': JSON.stringify(json) }));
  const plain = await Tokenizer.builtin('gpt2-opt-4k');
  t.is(tok.vocabSize, 4097);
  t.is(await tok.decode([4096], { skipSpecialTokens: false }), '<extra>');
  const texts = await firstBrown(2);
  t.deepEqual(await tok.encodeUncached(texts), await plain.encodeUncached(texts));
  t.deepEqual(await tok.encodeBatch(texts, { addBos: false }), await plain.encodeUncached(texts));
});

test('copyFilesTo the folder it was loaded from leaves the files whole', async (t) => {
  const copy = folder({ 'tokenizer.json': tokenizerJson() });
  const tok = await Tokenizer.fromPretrained(copy);
  await tok.copyFilesTo(copy);
  t.is(readFileSync(join(copy, 'tokenizer.json'), 'utf8'), tokenizerJson());
});

test('vocab.json + merges.txt of the shipped vocabulary: the same tokenizer as its tokenizer.json, on Brown text, special tokens and spaces', async (t) => {
  const source = JSON.parse(tokenizerJson()) as { model: { vocab: Record<string, number>; merges: string[] } };
  const dir = folder({ 'vocab.json': JSON.stringify(source.model.vocab), 'merges.txt': `#version: 0.2\n${source.model.merges.join('\n')}\n` });
  const pair = await Tokenizer.fromPretrained(dir);
  const builtin = await Tokenizer.builtin('gpt2-opt-4k');
  const texts = [...(await firstBrown(6)), 'a </s> b', 'x</s>  y <pad>z', '  two  spaces ', 'Hello', "it's 12,345 don't"];
  t.deepEqual(await pair.encodeUncached(texts), await builtin.encodeUncached(texts));
  t.deepEqual(await pair.encodeBatch(texts), await builtin.encodeBatch(texts));
  const ids = await builtin.encodeBatch(texts);
  t.deepEqual(await pair.decodeBatch(ids), await builtin.decodeBatch(ids));
  t.deepEqual(await pair.decodeBatch(ids, { skipSpecialTokens: false }), await builtin.decodeBatch(ids, { skipSpecialTokens: false }));
  t.is(await pair.decode(await pair.encode('a </s> b')), 'a  b');
});
