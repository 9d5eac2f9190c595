// Issue 17: the generation controls end to end, on tiny random models (greedy, deterministic).
// Each check first shows that the uncontrolled output breaks the rule (so the test can fail),
// then that the controlled one keeps it.
import test from 'ava';

import { InvalidArgumentError, OPT, SLLM, Tokenizer, type OptConfig } from '../../lib/index.js';
import { testDevice } from '../helpers/device.js';

async function tinyOpt(overrides: Partial<OptConfig> = {}, seed = 3): Promise<OPT> {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  return OPT.create({
    vocabSize: Math.ceil(tokenizer.vocabSize / 8) * 8, hidden: 64, ffn: 256, layers: 2, heads: 4, maxPositions: 256, wordEmbedProjDim: 64,
    preNorm: true, finalNorm: true, padId: tokenizer.padId, bosId: tokenizer.bosId, eosId: tokenizer.eosId, ...overrides,
  }, { tokenizer, device: testDevice, seed });
}

/** n-grams that occur more than once in `ids`. */
function repeatedNgrams(ids: readonly number[], n: number): string[] {
  const seen = new Set<string>();
  const repeated: string[] = [];
  for (let i = 0; i + n <= ids.length; i++) {
    const key = ids.slice(i, i + n).join(',');
    if (seen.has(key)) repeated.push(key);
    seen.add(key);
  }
  return repeated;
}

const prompt = [2, 100, 200, 300];

test('OPT noRepeatNgramSize: no n-gram of prompt + completion occurs twice', async (t) => {
  await using opt = await tinyOpt();
  for (const n of [2, 3]) {
    const plain = (await opt.decodeSteps({ inputIds: [prompt] }, { maxNewTokens: 40, ignoreEos: true })).tokens.map((s) => s[0]!);
    t.true(repeatedNgrams([...prompt.slice(1), ...plain], n).length > 0, `the uncontrolled greedy output repeats ${n}-grams`);
    const controlled = (await opt.decodeSteps({ inputIds: [prompt] }, { maxNewTokens: 40, ignoreEos: true, noRepeatNgramSize: n })).tokens.map((s) => s[0]!);
    t.deepEqual(repeatedNgrams([...prompt.slice(1), ...controlled], n), [], `n = ${n}`);
  }
});

test('OPT repetitionPenalty: fewer repeated tokens in the greedy output', async (t) => {
  await using opt = await tinyOpt();
  const distinct = async (penalty: number) => {
    const ids = (await opt.decodeSteps({ inputIds: [prompt] }, { maxNewTokens: 30, ignoreEos: true, repetitionPenalty: penalty })).tokens.map((s) => s[0]!);
    return new Set(ids).size;
  };
  t.true((await distinct(100)) > (await distinct(1)));
});

test('OPT minNewTokens: eos cannot come before n new tokens', async (t) => {
  // The greedy first token of this model, declared as its eos: without the control the
  // completion ends at once.
  const first = (await (await tinyOpt()).decodeSteps({ inputIds: [prompt] }, { maxNewTokens: 1 })).tokens[0]![0]!;
  await using opt = await tinyOpt({ eosId: first });
  const plain = await opt.decodeSteps({ inputIds: [prompt] }, { maxNewTokens: 12 });
  t.is(plain.tokens.length, 1, 'eos first');
  const held = await opt.decodeSteps({ inputIds: [prompt] }, { maxNewTokens: 12, minNewTokens: 5 });
  const ids = held.tokens.map((s) => s[0]!);
  t.true(ids.length >= 6);
  t.false(ids.slice(0, 5).includes(first), 'no eos among the first 5 tokens');
  await t.throwsAsync(opt.decodeSteps({ inputIds: [prompt] }, { minNewTokens: -1 }), { instanceOf: InvalidArgumentError, message: /Expected integer between 0 and \d+ for minNewTokens but received -1 of type number/ });
});

test('OPT stop strings: the completion ends at the first stop string, cut before it (generate and stream agree)', async (t) => {
  await using opt = await tinyOpt();
  const plain = (await opt.generate('The jury said', { maxNewTokens: 24 }))[0]!;
  // A stop string from the middle of the uncontrolled completion, at its first occurrence.
  // A random model's text repeats a lot: take the first place after a few characters where a
  // 2-character string occurs for the first time.
  let k = 4;
  while (k < plain.length - 2 && (plain.indexOf(plain.slice(k, k + 2)) !== k || plain.slice(k, k + 2).includes('\ufffd'))) k++;
  const stop = plain.slice(k, k + 2);
  t.is(plain.indexOf(stop), k);
  t.true(stop.length === 2);
  const cut = (await opt.generate('The jury said', { maxNewTokens: 24, stop: [stop, 'never-there'] }))[0]!;
  t.is(cut!, plain.slice(0, k));
  let streamed = '';
  for await (const e of opt.stream('The jury said', { maxNewTokens: 24, stop })) streamed += e.text;
  t.is(streamed, cut);
  await t.throwsAsync(opt.generate('x', { stop: [''] }), { instanceOf: InvalidArgumentError, message: /Expected non-empty string for stop\[0\]/ });
});

// ---------------------------------------------------------------- SLLM

const sllmShape = { preset: 'tiny' as const, dropout: 0 };
const sllmPrompt = 'The jury met at noon. It said the vote was fine.';

async function sllmSentences(sllm: SLLM, options: Parameters<SLLM['generate']>[1]): Promise<number[][]> {
  const out: number[][] = [];
  for await (const e of sllm.generate(sllmPrompt, { maxSentences: 6, ignoreStop: true, ...options })) out.push(Array.from(e.ids));
  return out;
}

/** The SLLM whose eos is its decoder's first greedy token: every uncontrolled sentence is empty. */
async function eagerSllm(): Promise<SLLM> {
  const probe = await SLLM.create({ svae: sllmShape, llm: { layers: 2 }, device: testDevice, seed: 3 });
  const [first] = await sllmSentences(probe, { maxSentences: 1 });
  probe.dispose();
  return SLLM.create({ svae: { ...sllmShape, eosId: first![0]! }, llm: { layers: 2 }, device: testDevice, seed: 3 });
}

test('SLLM minSentenceTokens: no sentence ends before n tokens', async (t) => {
  await using sllm = await eagerSllm();
  const plain = await sllmSentences(sllm, {});
  t.true(plain.every((s) => s.length === 0), 'uncontrolled: every sentence ends at once');
  const held = await sllmSentences(sllm, { minSentenceTokens: 3 });
  t.is(held.length, 6);
  for (const s of held) t.true(s.length >= 3, JSON.stringify(s));
  await t.throwsAsync(sllmSentences(sllm, { minSentenceTokens: 64 }), { instanceOf: InvalidArgumentError, message: /for minSentenceTokens but received 64 of type number/ });
});

test('SLLM noRepeatSentences: no generated sentence equals a prompt sentence or an earlier one', async (t) => {
  await using sllm = await eagerSllm();
  const plain = await sllmSentences(sllm, {});
  t.true(new Set(plain.map((s) => s.join(','))).size < plain.length, 'uncontrolled: sentences repeat');
  const context = (await sllm.pieces(sllmPrompt)).map((p) => Array.from(p.subarray(1)).join(','));
  const maxSentenceTokens = sllm.config.svae.maxTokens - 1;
  const sentences = await sllmSentences(sllm, { noRepeatSentences: true });
  const seen = new Set(context);
  for (const s of sentences) {
    if (s.length >= maxSentenceTokens) continue; // cut by the limit, not ended: not checked (documented)
    t.false(seen.has(s.join(',')), `repeated: ${JSON.stringify(s)}`);
    seen.add(s.join(','));
  }
  await t.throwsAsync(sllmSentences(sllm, { noRepeatSentences: 'yes' as unknown as boolean }), { instanceOf: InvalidArgumentError, message: /Expected boolean for noRepeatSentences but received 'yes' of type string/ });
});

test('SLLM noRepeatNgramSize: no n-gram repeats across the paragraph (prompt and sentences)', async (t) => {
  await using sllm = await SLLM.create({ svae: sllmShape, llm: { layers: 2 }, device: testDevice, seed: 3 });
  const context = (await sllm.pieces(sllmPrompt)).flatMap((p) => Array.from(p.subarray(1)));
  const plain = (await sllmSentences(sllm, {})).flat();
  t.true(repeatedNgrams([...context, ...plain], 3).length > 0, 'uncontrolled: 3-grams repeat');
  const controlled = (await sllmSentences(sllm, { noRepeatNgramSize: 3 })).flat();
  t.deepEqual(repeatedNgrams([...context, ...controlled], 3), []);
});

test('SLLM stop strings: the completion is cut before the first stop string and the row ends', async (t) => {
  await using sllm = await SLLM.create({ svae: sllmShape, llm: { layers: 2 }, device: testDevice, seed: 3 });
  const texts: string[] = [];
  for await (const e of sllm.generate(sllmPrompt, { maxSentences: 4, ignoreStop: true })) texts.push(e.text);
  const plain = texts.join('');
  let k = Math.floor(plain.length / 2);
  while (k < plain.length - 2 && (plain.indexOf(plain.slice(k, k + 2)) !== k || plain.slice(k, k + 2).includes('\ufffd'))) k++;
  const stop = plain.slice(k, k + 2);
  const events = [];
  for await (const e of sllm.generate(sllmPrompt, { maxSentences: 4, ignoreStop: true, stop })) events.push(e);
  t.is(events.map((e) => e.text).join(''), plain.slice(0, k));
  // The row ended with the sentence where the stop string begins.
  let end = 0, sentence = 0;
  while ((end += texts[sentence]!.length) <= k) sentence++;
  t.is(events.length, sentence + 1);
});
