/**
 * lib/text/PretokenCache.ts, for `npm run mutate -- lib/text/PretokenCache.ts`: cached ids equal
 * the `tokenizers` binding's on Brown paragraphs and on texts the cache must send to the binding
 * (added-token text, recent Unicode letters, every kind of whitespace), with a cache small enough
 * to be emptied between calls; and which tokenizer.json pipelines it supports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';
import { Tokenizer as HfTokenizer } from 'tokenizers';

import { PretokenCache } from '../../lib/text/PretokenCache.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';
import { firstBrown } from './brownText.js';

const path = join(Tokenizer.builtinPath('gpt2-opt-4k'), 'tokenizer.json');
const rows = (a: Int32Array[]) => a.map((r) => Array.from(r));
async function reference(hf: HfTokenizer, texts: string[]) {
  const e = await hf.encodeBatch(texts, { addSpecialTokens: false });
  return e.map((x) => Array.from(x.getIds()));
}

const tricky = [
  '</s>', 'a</s>b', 'x<pad>', '<unk>', "it's 'll 've", 'a  b', 'a \n\n b', 'tab\t\tend', 'nbsp\u00a0x', 'ideo\u3000x', 'nel\u0085x',
  'bom\ufeffx', '\u{323b0} ext H', 'Ext\u{31350}', 'sam\u0870ar', '12 345', '日本語', '🙂🙂', ' lead', 'trail ', '   ', '', 'É l\u00e8ve',
];

test('cached ids equal the binding\'s on Brown paragraphs and tricky text, with the cache emptied when full', async (t) => {
  const hf = HfTokenizer.fromFile(path);
  const texts = [...(await firstBrown(150)), ...tricky];
  const want = await reference(hf, texts);
  for (const maxEntries of [undefined, 1 << 20, 50, 1]) {
    const cache = new PretokenCache(hf, ['<s>', '<pad>', '</s>', '<unk>', ''], maxEntries);
    t.deepEqual(rows(await cache.encodeBatch(texts)), want, `maxEntries ${maxEntries}`);
    t.deepEqual(rows(await cache.encodeBatch(texts.slice(0, 40))), want.slice(0, 40), 'again, from the cache');
    t.deepEqual(rows(await cache.encodeBatch(tricky)), await reference(hf, tricky));
    t.deepEqual(await cache.encodeBatch([]), []);
  }
  const noAdded = new PretokenCache(hf, []);
  t.notDeepEqual(rows(await noAdded.encodeBatch(['a</s>b'])), await reference(hf, ['a</s>b']), 'without the added tokens, their text is split like any text');
});

test('no special tokens from a post-processor, in the cached pieces or in the texts sent to the binding', async (t) => {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  json.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
  };
  const hf = HfTokenizer.fromString(JSON.stringify(json));
  const texts = [...(await firstBrown(5)), 'a</s>b', '\u{323b0} ext H'];
  const want = await reference(hf, texts);
  t.true(want.every((r) => r[0] !== 2));
  t.deepEqual(rows(await new PretokenCache(hf, ['<s>', '<pad>', '</s>', '<unk>']).encodeBatch(texts)), want);
});

test('supports: only the plain ByteLevel BPE pipeline', (t) => {
  const base = { normalizer: null, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true }, model: { type: 'BPE', dropout: null } };
  t.true(PretokenCache.supports(base));
  t.true(PretokenCache.supports({ pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false }, model: { type: 'BPE' } }));
  t.false(PretokenCache.supports({ ...base, normalizer: { type: 'NFC' } }));
  t.false(PretokenCache.supports({ ...base, pre_tokenizer: { ...base.pre_tokenizer, type: 'Whitespace' } }));
  t.false(PretokenCache.supports({ ...base, pre_tokenizer: { ...base.pre_tokenizer, add_prefix_space: true } }));
  t.false(PretokenCache.supports({ ...base, pre_tokenizer: { type: 'ByteLevel', use_regex: true } }));
  t.false(PretokenCache.supports({ ...base, pre_tokenizer: { ...base.pre_tokenizer, use_regex: false } }));
  t.false(PretokenCache.supports({ ...base, model: { type: 'WordPiece', dropout: null } }));
  t.false(PretokenCache.supports({ ...base, model: { type: 'BPE', dropout: 0.1 } }));
  t.false(PretokenCache.supports({ ...base, pre_tokenizer: undefined }));
  t.false(PretokenCache.supports(null));
  t.false(PretokenCache.supports({ ...base, model: undefined }));
});
