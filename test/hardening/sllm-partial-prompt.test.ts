// Issue 15 item 14: a prompt that ends mid-sentence is completed: its complete sentences are the
// context and the unfinished sentence's tokens are forced as the first generated sentence's start.
import test from 'ava';

import { brownParagraphs, endsMidSentence, ParagraphDataset, segment, SLLM, type SentenceEvent } from '../../lib/index.js';
import { testDevice } from '../helpers/device.js';

test('endsMidSentence follows the segmenter: cut marks (with closing quotes), line breaks, numbers', (t) => {
  t.true(endsMidSentence('The jury said it was fine. It'));
  t.true(endsMidSentence('It costs 3'));
  t.true(endsMidSentence('The jury said it was fine. It '));
  t.false(endsMidSentence('The jury said it was fine.'));
  t.false(endsMidSentence('The jury said it was fine. '));
  t.false(endsMidSentence('He said "yes."'));
  t.false(endsMidSentence('Well,'));
  t.false(endsMidSentence('A list\n'));
  t.false(endsMidSentence('It costs 3.'));
  t.false(endsMidSentence(''));
});

test('a prompt ending mid-sentence: the completion starts after the forced prefix and the rest follows as usual', async (t) => {
  const paragraphs = await brownParagraphs(3);
  // Overfit as in test/models/sllm.test.ts, smaller (hidden 64, one LLM layer): ~20 updates reach
  // 100% teacher-forced accuracy on these three paragraphs; 60 leave a margin.
  await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0, hidden: 64, heads: 2, ffn: 128 }, llm: { layers: 1 }, device: testDevice, seed: 3 });
  const data = await ParagraphDataset.fromParagraphs(paragraphs, sllm.tokenizer, {});
  await sllm.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off' }, 1);
  const batches = data.batches({ batchSize: 3, seed: 1 });
  for (let step = 0; step < 60; step++) {
    await sllm.accumulate(batches.next(), { gamma: 2, scale: 1 });
    await sllm.applyStep({ lr: 5e-3, clip: 1 });
  }
  t.is((await sllm.evaluate(data)).tokenAccuracy, 1, 'the model reproduces its paragraphs');

  let checked = 0;
  for (const p of paragraphs) {
    const [first, second, ...rest] = segment(p);
    const word = second?.match(/^ ?\p{L}+/u)?.[0];
    if (!first || !second || !word || word === second) continue;
    const prompt = first + word; // the first sentence + the first word of the second
    t.true(endsMidSentence(prompt));
    const got: SentenceEvent[] = [];
    for await (const s of sllm.generate(prompt, { maxSentences: 8 })) got.push(s);
    t.is(got[0]!.prefix, word, 'the first event names the unfinished part it completes');
    t.is(got[0]!.text, second.slice(word.length), 'the first event holds the continuation only');
    t.deepEqual(await sllm.tokenizer.encode(got[0]!.text, { addBos: false }), got[0]!.ids, 'ids: the continuation');
    t.deepEqual(got.slice(1).map((s) => s.text), rest, 'then the rest of the paragraph, then stop');
    t.is(got.slice(1).filter((s) => s.prefix !== undefined).length, 0);
    t.is(prompt + got.map((s) => s.text).join(''), p, 'prompt + completion = the paragraph');
    // maxTokens counts the continuation only: one token more than the prefix is one generated token.
    const [cut] = await sllm.generateText(prompt, { maxTokens: 1 });
    t.is(cut, (await sllm.tokenizer.decode(got[0]!.ids.subarray(0, 1))), 'maxTokens: 1 yields the first continuation token');
    checked++;
  }
  t.is(checked, paragraphs.length, `${checked} paragraphs checked`);

  // A prompt that is one unfinished sentence has no context to predict from: it is a whole sentence.
  const alone: SentenceEvent[] = [];
  for await (const s of sllm.generate('The jury', { maxSentences: 1, ignoreStop: true })) alone.push(s);
  t.is(alone.length, 1);
  t.is(alone[0]!.prefix, undefined);
});

test('mid-sentence and complete prompts batch together; a batch equals each prompt alone', async (t) => {
  await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 2 }, device: testDevice, seed: 9 });
  const prompts = ['The jury said it was fine. It', 'Nobody came.', 'It was late, and the court', 'One. Two. Three'];
  const options = { maxSentences: 3, ignoreStop: true, maxSentenceTokens: 10 };
  const together = await sllm.generateText(prompts, options);
  for (const [i, p] of prompts.entries()) t.is((await sllm.generateText(p, options))[0], together[i], p);
  const first: SentenceEvent[] = [];
  for await (const s of sllm.generate(prompts, { ...options, maxSentences: 1 })) first.push(s);
  t.deepEqual(first.map((s) => s.prefix), [' It', undefined, ' and the court', ' Three']);
});
