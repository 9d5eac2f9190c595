// Issue 15 item 2: a training forward that throws must not leave the model in train mode (dropout
// on) for the inference calls after it, and every inference entry point runs in eval mode.
import test from 'ava';

import { OPT, type ParagraphBatch, SentenceVAE, SLLM, Tokenizer } from '../../lib/index.js';
import { padRows } from '../../lib/internal.js';
import { testDevice } from '../helpers/device.js';

const setup = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off' as const };

const floats = async (t: { toArray(): Promise<unknown>; dispose(): void }) => {
  try {
    return Array.from((await t.toArray()) as Float32Array);
  } finally {
    t.dispose();
  }
};

/** Two paragraph slots whose sentences are one token longer than the SentenceVAE accepts. */
function tooLong(maxTokens: number): ParagraphBatch {
  const length = maxTokens + 1;
  return {
    ids: new Int32Array(2 * length).fill(5), tokenMask: new Uint8Array(2 * length).fill(1), sentenceMask: Uint8Array.from([1, 1]),
    sentenceCounts: Int32Array.from([2]), lengths: Int32Array.from([length, length]), batchSize: 1, sentences: 2, length,
  };
}

test('SLLM: after a failed accumulate, two greedy generations are identical and equal a fresh eval; encode and hidden too', async (t) => {
  await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0.5 }, llm: { layers: 2, dropout: 0.5, attentionDropout: 0.5 }, device: testDevice, seed: 4 });
  const prompt = 'The jury said it was fine. It was late.';
  const options = { maxSentences: 3, ignoreStop: true, maxSentenceTokens: 12 };
  const fresh = await sllm.generateText(prompt, options);
  const pieces = await sllm.pieces(prompt);
  const freshVectors = await sllm.encode(pieces);
  const freshHidden = await floats(await sllm.hidden([pieces]));

  await sllm.configureTraining(setup, 1);
  await t.throwsAsync(sllm.accumulate(tooLong(sllm.config.svae.maxTokens), { gamma: 2, scale: 1 }), { message: /exceed maxTokens/ });

  t.deepEqual(await sllm.generateText(prompt, options), fresh, 'first greedy generation after the failure');
  t.deepEqual(await sllm.generateText(prompt, options), fresh, 'second greedy generation after the failure');
  t.deepEqual(await sllm.encode(pieces), freshVectors, 'encode runs in eval mode');
  t.deepEqual(await floats(await sllm.hidden([pieces])), freshHidden, 'hidden runs in eval mode');
});

test('OPT: after a failed accumulate (an id out of range), forward and generation are what a fresh eval gives', async (t) => {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  const config = {
    vocabSize: 4104, hidden: 64, ffn: 128, layers: 2, heads: 4, maxPositions: 64, wordEmbedProjDim: 64, preNorm: true, finalNorm: true,
    padId: 1, bosId: 2, eosId: 2, dropout: 0.5, attentionDropout: 0.5, activationDropout: 0.5,
  };
  await using opt = await OPT.create(config, { tokenizer, device: testDevice, seed: 2 });
  const input = { inputIds: [[2, 100, 200, 300, 400]] };
  const fresh = (await opt.forward(input)).logits;
  const freshText = await opt.generate(['The jury said'], { maxNewTokens: 6 });
  await opt.configureTraining(setup, 1);
  await t.throwsAsync(opt.accumulate(padRows([Int32Array.from([2, 5, 999999])], 1), { gamma: 0, scale: 1 }));
  t.deepEqual((await opt.forward(input)).logits, fresh);
  t.deepEqual(await opt.generate(['The jury said'], { maxNewTokens: 6 }), freshText);
});

test('SentenceVAE: after a failed accumulate, encoding is what a fresh eval gives', async (t) => {
  await using vae = await SentenceVAE.create({ preset: 'tiny', config: { dropout: 0.5 }, device: testDevice, seed: 3 });
  const fresh = Array.from(await vae.encode(['The jury said it was fine.']));
  await vae.configureTraining(setup, 1);
  const length = vae.config.maxTokens + 1;
  const batch = { ids: new Int32Array(length).fill(5), mask: new Uint8Array(length).fill(1), lengths: Int32Array.from([length]), batchSize: 1, length };
  await t.throwsAsync(vae.accumulate(batch, { gamma: 2, scale: 1 }));
  t.deepEqual(Array.from(await vae.encode(['The jury said it was fine.'])), fresh);
});
