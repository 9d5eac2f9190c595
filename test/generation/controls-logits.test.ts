// Issue 17: every generation control against hand-computed logits, through the native path the
// decoders use (ops.applyControls runs apply_controls of native/model/sampling.cc).
import test from 'ava';

import { InvalidArgumentError, Tensor } from '../../lib/index.js';
import { callAsync } from '../../lib/native/call.js';
import type { NativeGenerationControls, NativeTokenHistory } from '../../lib/native/contract.js';
import { addon } from '../../lib/native/loader.js';
import { nativeControls, stopStrings } from '../../lib/models/sampling.js';

const NEG = -Infinity;

/** One row of logits through the native controls. */
async function controlled(logits: number[], history: NativeTokenHistory, controls: NativeGenerationControls, eosId = 2): Promise<number[]> {
  const input = await Tensor.from(Float32Array.from(logits), { shape: [1, logits.length] });
  const out = new Tensor(await callAsync(() => addon().ops.applyControls(input.native, [history], controls, eosId)));
  try {
    return Array.from((await out.toArray()) as Float32Array);
  } finally {
    out.dispose();
    input.dispose();
  }
}

test('repetitionPenalty (HF): positive logits of seen tokens divided, negative ones multiplied, once per token', async (t) => {
  // Tokens 0 and 1 are in the text (1 twice: penalized once, as HF); 2..4 are not.
  t.deepEqual(await controlled([2, -1, 0.5, 3, -2], { tokens: [0, 1, 1] }, { repetitionPenalty: 2 }), [1, -2, 0.5, 3, -2]);
  // < 1 encourages repeats (the same rule, inverted effect).
  t.deepEqual(await controlled([2, -1, 0.5], { tokens: [0, 1] }, { repetitionPenalty: 0.5 }), [4, -0.5, 0.5]);
  // The prompt's tokens count too (HF penalizes everything in input_ids).
  t.deepEqual(await controlled([2, 2], { tokens: [1], prompt: 1 }, { repetitionPenalty: 4 }), [2, 0.5]);
});

test('presencePenalty / frequencyPenalty (OpenAI): counts over generated tokens only', async (t) => {
  // tokens: 0 from the prompt, then 2, 2, 3 generated. token 2: 1 - (2 × 0.5 + 0.25); token 3: 1 - (0.5 + 0.25).
  const out = await controlled([1, 1, 1, 1], { tokens: [0, 2, 2, 3], prompt: 1 }, { frequencyPenalty: 0.5, presencePenalty: 0.25 });
  t.deepEqual(out, [1, 1, -0.25, 0.25]);
});

test('noRepeatNgramSize (HF): bans the tokens that would complete an n-gram already in the text', async (t) => {
  // n = 2, text 5 6 5: the bigram (5, 6) exists and the text ends in 5 -> 6 is banned.
  t.deepEqual(await controlled([0, 0, 0, 0, 0, 0, 0, 0], { tokens: [5, 6, 5] }, { noRepeatNgramSize: 2 }), [0, 0, 0, 0, 0, 0, NEG, 0]);
  // n = 3, text 1 2 3 1 2: (1, 2, 3) exists and the text ends in 1 2 -> 3 is banned; nothing else.
  t.deepEqual(await controlled([0, 0, 0, 0, 0], { tokens: [1, 2, 3, 1, 2] }, { noRepeatNgramSize: 3 }), [0, 0, 0, NEG, 0]);
  // n = 1: every token already in the text.
  t.deepEqual(await controlled([0, 0, 0, 0], { tokens: [1, 3] }, { noRepeatNgramSize: 1 }), [0, NEG, 0, NEG]);
  // Fewer than n - 1 tokens: nothing to match.
  t.deepEqual(await controlled([0, 0, 0], { tokens: [1] }, { noRepeatNgramSize: 3 }), [0, 0, 0]);
});

test('minTokens (minNewTokens / minSentenceTokens): eos banned while the unit is shorter', async (t) => {
  // eos = 2; the unit (completion or sentence) starts at index 1: one token so far.
  t.deepEqual(await controlled([1, 1, 5, 1], { tokens: [7, 7], unitStart: 1 }, { minTokens: 2 }), [1, 1, NEG, 1]);
  // Two tokens: the minimum is reached, eos is allowed again.
  t.deepEqual(await controlled([1, 1, 5, 1], { tokens: [7, 7], unitStart: 0 }, { minTokens: 2 }), [1, 1, 5, 1]);
});

test('noRepeatSentences: eos banned exactly where the sentence so far equals a context sentence', async (t) => {
  const sentences = [[4, 5], [6]];
  // Current sentence [4, 5] (from index 3) equals the first context sentence.
  t.deepEqual(await controlled([0, 0, 3, 0, 0, 0, 0], { tokens: [4, 5, 6, 4, 5], unitStart: 3, sentences }, { noRepeatSentences: true }), [0, 0, NEG, 0, 0, 0, 0]);
  // [4] is a prefix, not a repeat: eos allowed.
  t.deepEqual(await controlled([0, 0, 3, 0, 0, 0, 0], { tokens: [4, 5, 6, 4], unitStart: 3, sentences }, { noRepeatSentences: true }), [0, 0, 3, 0, 0, 0, 0]);
  // [4, 5, 6]: longer than any context sentence.
  t.deepEqual(await controlled([0, 0, 3, 0, 0, 0, 0], { tokens: [4, 5, 6, 4, 5, 6], unitStart: 3, sentences }, { noRepeatSentences: true }), [0, 0, 3, 0, 0, 0, 0]);
});

test('controls compose in order (penalty, then bans); bans that would leave nothing are dropped', async (t) => {
  t.deepEqual(await controlled([4, -1, 2], { tokens: [0, 1, 0] }, { repetitionPenalty: 2, noRepeatNgramSize: 2 }), [2, NEG, 2]);
  // Vocabulary of 2, both tokens seen, n = 1: everything would be banned -> only the penalty applies.
  t.deepEqual(await controlled([4, -1], { tokens: [0, 1] }, { noRepeatNgramSize: 1, repetitionPenalty: 2 }), [2, -2]);
  // Defaults change nothing.
  t.deepEqual(await controlled([4, -1, 2], { tokens: [0, 1, 0] }, {}), [4, -1, 2]);
});

test('options are validated with the house wording (InvalidArgumentError)', (t) => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ repetitionPenalty: 0 }, /Expected number between 0.000001 and 1000000 for repetitionPenalty but received 0 of type number/],
    [{ repetitionPenalty: '1.2' }, /for repetitionPenalty but received '1.2' of type string/],
    [{ noRepeatNgramSize: 1.5 }, /Expected integer between 0 and \d+ for noRepeatNgramSize but received 1.5 of type number/],
    [{ presencePenalty: 3 }, /Expected number between -2 and 2 for presencePenalty but received 3 of type number/],
    [{ frequencyPenalty: Number.NaN }, /for frequencyPenalty but received NaN of type number/],
  ];
  for (const [options, message] of bad) t.throws(() => nativeControls(options), { instanceOf: InvalidArgumentError, message });
  t.deepEqual(nativeControls({}), { repetitionPenalty: 1, noRepeatNgramSize: 0, presencePenalty: 0, frequencyPenalty: 0, minTokens: 0, noRepeatSentences: false });
  t.throws(() => stopStrings(''), { instanceOf: InvalidArgumentError, message: /Expected non-empty string for stop but received '' of type string/ });
  t.throws(() => stopStrings([1]), { instanceOf: InvalidArgumentError, message: /Expected non-empty string for stop\[0\] but received 1 of type number/ });
  t.throws(() => stopStrings(new Array(17).fill('x')), { instanceOf: InvalidArgumentError, message: /at most 16 strings for stop/ });
  t.deepEqual(stopStrings('\n'), ['\n']);
});
