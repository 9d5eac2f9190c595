/**
 * lib/text/pieces.ts at its edges, for `npm run mutate -- lib/text/pieces.ts`: a content that
 * fills pieces exactly, an empty content, the int32 bos range, the default maxTokens, content
 * ids without a bos from the tokenizer, and which argument an error names.
 */
import test from 'ava';

import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { splitIds, tokenizeSegments, tokenizeText } from '../../lib/text/pieces.js';
import { Tokenizer } from '../../lib/text/Tokenizer.js';

const any = (v: unknown) => v as never;
const rows = (pieces: Int32Array[]) => pieces.map((p) => Array.from(p));

test('splitIds: exact multiples make no empty piece; an empty content is one bos-only piece; bos in the int32 range', (t) => {
  t.deepEqual(rows(splitIds(new Int32Array([5, 6, 7, 8]), 2, 3)), [[2, 5, 6], [2, 7, 8]]);
  t.deepEqual(rows(splitIds(new Int32Array([5, 6, 7]), 2, 3)), [[2, 5, 6], [2, 7]]);
  t.deepEqual(rows(splitIds(new Int32Array(0), 2, 3)), [[2]]);
  t.deepEqual(rows(splitIds(new Int32Array([5]), -(2 ** 31))), [[-(2 ** 31), 5]]);
  t.throws(() => splitIds(new Int32Array([5]), 2, 1), { instanceOf: InvalidArgumentError, message: 'Expected integer >= 2 for maxTokens but received 1 of type number' });
});

test('tokenizeSegments: default maxTokens 64, content ids without the tokenizer\'s bos, errors named', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const text = 'word '.repeat(70).trim();
  const content = await tok.encode(text, { addBos: false });
  t.true(content.length > 63);
  const pieces = await tokenizeSegments(tok, [text]);
  t.deepEqual(pieces.map((p) => p.ids.length), [64, content.length - 63 + 1]);
  t.deepEqual(Array.from(pieces[0]!.ids), [tok.bosId, ...Array.from(content.subarray(0, 63))]);
  t.deepEqual(pieces.map((p) => [p.segment, p.continued]), [[0, false], [0, true]]);
  await t.throwsAsync(tokenizeSegments(tok, ['x'], { maxTokens: 1 }), { instanceOf: InvalidArgumentError, message: 'Expected integer >= 2 for maxTokens but received 1 of type number' });
  await t.throwsAsync(tokenizeText(any(null), any(5)), { instanceOf: InvalidArgumentError, message: 'Expected Tokenizer for tokenizer but received null' });
});
