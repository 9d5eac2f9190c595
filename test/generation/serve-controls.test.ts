// Issue 17: the generation controls through the serving engine (native slot rows) give what the
// models' own generate() gives, and requests are checked by model kind.
import test from 'ava';

import { InvalidArgumentError } from '../../lib/index.js';
import { collect, engineOpt, engineOver, engineSllm } from '../serve/engine-helpers.js';

const controls = { repetitionPenalty: 1.3, noRepeatNgramSize: 2, presencePenalty: 0.5, frequencyPenalty: 0.25 };

test('OPT engine rows apply the controls as opt.generate() does (greedy)', async (t) => {
  await using opt = await engineOpt();
  const engine = await engineOver(opt);
  try {
    for (const extra of [{}, controls, { ...controls, minNewTokens: 6 }]) {
      const served = await collect(engine.submit({ prompt: 'The jury met at noon.', temperature: 0, maxTokens: 16, ...extra }));
      const [direct] = await opt.generate('The jury met at noon.', { maxNewTokens: 16, ...extra });
      t.is(served.result.text, direct!, JSON.stringify(extra));
    }
    const plain = await collect(engine.submit({ prompt: 'The jury met at noon.', temperature: 0, maxTokens: 16 }));
    const controlled = await collect(engine.submit({ prompt: 'The jury met at noon.', temperature: 0, maxTokens: 16, ...controls }));
    t.not(plain.result.text, controlled.result.text, 'the controls change this output');
    t.throws(() => engine.submit({ prompt: 'x', minSentenceTokens: 2 }), { instanceOf: InvalidArgumentError, message: /minSentenceTokens applies to SLLM engines only/ });
    t.throws(() => engine.submit({ prompt: 'x', repetitionPenalty: -1 }), { instanceOf: InvalidArgumentError, message: /Expected number between 0.000001 and 1000000 for repetitionPenalty but received -1 of type number/ });
  } finally {
    await engine.close();
  }
});

test('SLLM engine rows apply the controls as sllm.generateText() does (greedy)', async (t) => {
  await using sllm = await engineSllm();
  const engine = await engineOver(sllm);
  const prompt = 'The jury met at noon. It said the vote was fine.';
  try {
    for (const extra of [{ noRepeatNgramSize: 3 }, { noRepeatSentences: true, minSentenceTokens: 3, repetitionPenalty: 1.5 }]) {
      const served = await collect(engine.submit({ prompt, temperature: 0, maxSentences: 4, maxTokens: 200, ignoreStop: true, ...extra }));
      const [direct] = await sllm.generateText(prompt, { maxSentences: 4, maxTokens: 200, ignoreStop: true, ...extra });
      t.is(served.result.text, direct!, JSON.stringify(extra));
    }
    t.throws(() => engine.submit({ prompt, minNewTokens: 2 }), { instanceOf: InvalidArgumentError, message: /minNewTokens applies to OPT engines only/ });
  } finally {
    await engine.close();
  }
});
