/**
 * lib/text/hfTokenizerAsync.ts and tokenizerWorker.ts, for `npm run mutate --
 * lib/text/hfTokenizerAsync.ts`: every route (the worker's vocab.json + merges.txt split and
 * BPE.fromFile, its fallbacks to fromString) gives the tokenizer fromString gives, on Brown text;
 * the model options BPE.fromFile takes reach it; failures name their file; the worker's temporary
 * folder is removed. Serial: the temporary-folder check must not see another test's load in flight.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';
import { Tokenizer as HfTokenizer } from 'tokenizers';

import { FormatError } from '../../lib/errors/FormatError.js';
import { loadHfTokenizer } from '../../lib/text/hfTokenizerAsync.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';
import { firstBrown } from './brownText.js';

type Json = { model: Record<string, unknown>; added_tokens: Record<string, unknown>[] } & Record<string, unknown>;
const original = readFileSync(join(Tokenizer.builtinPath('gpt2-opt-4k'), 'tokenizer.json'), 'utf8');
const base = () => JSON.parse(original) as Json;
const failure = (why: string) => new FormatError(`failed: ${why}`, { path: 'x' });
const write = (json: unknown) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-hfm-'));
  const path = join(dir, 'tokenizer.json');
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
};
const ids = async (hf: HfTokenizer, texts: string[]) => (await hf.encodeBatch(texts, { addSpecialTokens: false })).map((e) => Array.from(e.getIds()));

async function same(t: import('ava').ExecutionContext, json: Json, label: string) {
  const texts = [...(await firstBrown(4)), '</s> a<pad>b <unk> zzzq'];
  const path = write(json);
  const loaded = await loadHfTokenizer({ path }, failure);
  const reference = HfTokenizer.fromString(JSON.stringify(json));
  t.deepEqual(await ids(loaded.hf, texts), await ids(reference, texts), label);
  t.is(loaded.hf.getVocabSize(true), reference.getVocabSize(true), label);
  const first = (await ids(reference, texts))[0]!;
  t.is(await loaded.hf.decode(first, false), await reference.decode(first, false), label);
  return loaded;
}

test.serial('the split route: the same ids and vocabulary as fromString; the json without its vocabulary; the temporary folder removed', async (t) => {
  const own = mkdtempSync(join(tmpdir(), 'svae-hfm-tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = own;
  try {
    const loaded = await same(t, base(), 'plain');
    t.deepEqual((loaded.json.model as { vocab: unknown }).vocab, {});
    t.deepEqual((loaded.json.model as { merges: unknown }).merges, []);
    t.is((loaded.json.added_tokens as unknown[]).length, 4);
    t.deepEqual(readdirSync(own).filter((n) => n.startsWith('sentencevae-tokenizer-')), [], 'the worker\'s temporary files are gone');
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
});

test.serial('model options and the fallbacks give fromString\'s tokenizer', async (t) => {
  const variants: [string, (j: Json) => void][] = [
    ['unk_token', (j) => { j.model.unk_token = '<unk>'; }],
    ['fuse_unk + unk', (j) => { j.model.unk_token = '<unk>'; j.model.fuse_unk = true; }],
    ['byte_fallback', (j) => { j.model.byte_fallback = true; }],
    ['continuing_subword_prefix', (j) => { j.model.continuing_subword_prefix = ''; }],
    ['end_of_word_suffix', (j) => { j.model.end_of_word_suffix = ''; }],
    ['dropout 0', (j) => { j.model.dropout = 0; }],
    ['ignore_merges', (j) => { j.model.ignore_merges = true; }],
    ['merges as pairs', (j) => { j.model.merges = (j.model.merges as string[]).map((m) => m.split(' ')); }],
    ['a merge of a token with a space', (j) => {
      const vocab = j.model.vocab as Record<string, number>;
      vocab['x y'] = 4096;
      vocab['x yz'] = 4097;
      j.model.merges = [...(j.model.merges as string[]).map((m) => m.split(' ')), ['x y', 'z']];
    }],
    ['an added token outside the vocabulary', (j) => { j.added_tokens.push({ id: 4096, content: '<extra>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }); }],
    ['an added token with another id than the vocabulary\'s', (j) => { j.added_tokens.push({ id: 4097, content: '<zz>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false }); }],
    ['added tokens with options', (j) => { j.added_tokens.push({ id: 4096, content: 'zzq', single_word: true, lstrip: true, rstrip: true, normalized: true, special: false }); }],
    ['a normalizer', (j) => { j.normalizer = { type: 'Lowercase' }; }],
    ['a post-processor', (j) => { j.post_processor = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }; }],
    ['no added tokens', (j) => { delete (j as Record<string, unknown>).added_tokens; }],
  ];
  for (const [label, edit] of variants) {
    const j = base();
    edit(j);
    await same(t, j, label);
  }
  const withUnk = base();
  withUnk.model.unk_token = '<unk>';
  const loaded = await loadHfTokenizer({ path: write(withUnk) }, failure);
  t.is((loaded.json.model as { unk_token?: unknown }).unk_token, '<unk>');
});

test.serial('what cannot load: a FormatError naming the file, or the failure of the caller', async (t) => {
  const missing = join(mkdtempSync(join(tmpdir(), 'svae-hfm-')), 'tokenizer.json');
  const e1 = await t.throwsAsync(loadHfTokenizer({ path: missing }, failure), { instanceOf: FormatError });
  t.is((e1 as FormatError & { path?: string }).path, missing);
  t.false(e1!.message.startsWith('failed:'));
  const broken = write('{"model": ');
  const e2 = await t.throwsAsync(loadHfTokenizer({ path: broken }, failure), { instanceOf: FormatError, message: new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be loaded: `) });
  t.is((e2 as FormatError & { path?: string }).path, broken);
  const badDropout = base();
  badDropout.model.dropout = 'high';
  await t.throwsAsync(loadHfTokenizer({ path: write(badDropout) }, failure), { instanceOf: FormatError, message: /^failed: / });
  const badUnk = base();
  badUnk.model.unk_token = 5;
  await t.throwsAsync(loadHfTokenizer({ path: write(badUnk) }, failure), { instanceOf: FormatError, message: /^failed: / });
  const dir = mkdtempSync(join(tmpdir(), 'svae-hfm-'));
  writeFileSync(join(dir, 'vocab.json'), '{"a": ');
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\n');
  const e3 = await t.throwsAsync(loadHfTokenizer({ vocabPath: join(dir, 'vocab.json'), mergesPath: join(dir, 'merges.txt'), specials: [] }, failure), { instanceOf: FormatError, message: new RegExp(`vocab\\.json is not valid JSON: `) });
  t.is((e3 as FormatError & { path?: string }).path, join(dir, 'vocab.json'));
  const e4 = await t.throwsAsync(loadHfTokenizer({ vocabPath: join(dir, 'vocab.json'), mergesPath: join(dir, 'nope.txt'), specials: [] }, failure), { instanceOf: FormatError });
  t.true(e4!.message.includes('vocab.json'), 'the vocabulary is read first');
  writeFileSync(join(dir, 'vocab.json'), '{"a": 0, "b": 1, "ab": 2, "</s>": 3}');
  const e5 = await t.throwsAsync(loadHfTokenizer({ vocabPath: join(dir, 'vocab.json'), mergesPath: join(dir, 'nope.txt'), specials: [] }, failure), { instanceOf: FormatError });
  t.is((e5 as FormatError & { path?: string }).path, join(dir, 'nope.txt'));
});

test.serial('vocab.json + merges.txt: the declared special tokens, merges parsed without the #version line or blank lines', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-hfm-'));
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify({ a: 0, b: 1, ab: 2, '</s>': 3, c: 4, abc: 5 }));
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\na b\n\n  \nab c\n');
  const loaded = await loadHfTokenizer({ vocabPath: join(dir, 'vocab.json'), mergesPath: join(dir, 'merges.txt'), specials: ['</s>', '<missing>'] }, failure);
  t.deepEqual((await ids(loaded.hf, ['abc</s>ab'])).flat(), [5, 3, 2]);
  t.deepEqual((loaded.json.added_tokens as { content: string }[]).map((a) => a.content), ['</s>']);
});
