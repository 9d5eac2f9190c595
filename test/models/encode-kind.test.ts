/**
 * SLLM.encode and SentenceVAE.encode return the same kind of value: a Float32Array of
 * n × hidden, row-major, in float32 on the CPU whatever the model's dtype; both take texts or
 * token-id pieces (bos first); encodeToTensor keeps the vectors on the model's device.
 */
import test from 'ava';

import { SentenceVAE, SLLM, tokenizeText } from '../../lib/index.js';
import { testDevice } from '../helpers/device.js';
import { maxAbsDiff } from '../helpers/sentences.js';

const texts = ['The jury said it was fine.', ' It was late,', ' and nobody came.'];

test('SentenceVAE.encode and SLLM.encode: Float32Array n × hidden, from texts or pieces, equal to encodeToTensor', async (t) => {
  await using vae = await SentenceVAE.create({ preset: 'tiny', seed: 2, device: testDevice });
  await using sllm = await SLLM.create({ svae: { preset: 'tiny' }, llm: { layers: 1 }, seed: 2, device: testDevice });
  for (const [name, model, hidden, maxTokens] of [['SentenceVAE', vae, vae.config.hidden, vae.config.maxTokens], ['SLLM', sllm, sllm.config.svae.hidden, sllm.config.svae.maxTokens]] as const) {
    const fromTexts = await model.encode(texts);
    t.true(fromTexts instanceof Float32Array, name);
    t.is(fromTexts.length, texts.length * hidden, name);
    const pieces = await tokenizeText(model.tokenizer, texts.join(''), { maxTokens });
    t.deepEqual(await model.encode(pieces.map((p) => p.ids)), fromTexts, `${name}: pieces give the vectors of their texts`);
    const tensor = await model.encodeToTensor(texts);
    try {
      t.deepEqual(tensor.shape, [texts.length, hidden], name);
      // Same vectors; batch rows in another order may round differently in the last bits.
      t.true(maxAbsDiff((await (await tensor.to('cpu', 'float32')).toArray()) as Float32Array, fromTexts) <= 1e-5, name);
    } finally {
      tensor.dispose();
    }
  }
});

test('a bfloat16 SLLM still encodes to float32 numbers', async (t) => {
  await using sllm = await SLLM.create({ svae: { preset: 'tiny' }, llm: { layers: 1 }, dtype: 'bfloat16' });
  const v = await sllm.encode(texts);
  t.true(v instanceof Float32Array);
  t.is(v.length, texts.length * sllm.config.svae.hidden);
  t.true(v.every(Number.isFinite));
});
