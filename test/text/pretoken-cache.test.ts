import test from 'ava';
import fc from 'fast-check';

import { readBrown, segment, Tokenizer } from '../../lib/index.js';

const same = (a: Int32Array[], b: Int32Array[]) => a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => v === b[i]![j]));

test('cached encoding equals the tokenizers binding on every Brown segment', async (t) => {
  const tok = await Tokenizer.builtin();
  const segments: string[] = [];
  for await (const p of readBrown()) segments.push(...segment(p.text));
  const cached = await tok.encodeBatch(segments, { addBos: false });
  const reference = await tok.encodeUncached(segments);
  t.true(same(cached, reference));
});

test('cached encoding equals the binding on random text (whitespace kinds, added-token text, lone surrogates)', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const tricky = fc.constantFrom(' ', '  ', '\n', '\t', '\u0085', '\ufeff', '\u00a0', '\u3000', "'s", "'ll", '</s>', '<pad>', '3', '12', 'ab', 'É', '日', '🙂', '\ud800', '\u{323b0}', '\u{1e030}', '\u0870', '!', '...');
  const text = fc.array(fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 5 })), { maxLength: 30 }).map((p) => p.join(''));
  await fc.assert(
    fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 8 }), async (texts) => same(await tok.encodeBatch(texts, { addBos: false }), await tok.encodeUncached(texts))),
    { numRuns: 1500 },
  );
  t.pass();
});
