// Issue 17: OpenAI's presence/frequency penalties are implemented (OpenAI's semantics), never
// mapped to the repetition penalty; the repetition extensions reach the engine request.
import test from 'ava';

import { parseChat, parseCompletion } from '../../lib/serve/http/requests.js';
import { RequestError } from '../../lib/serve/http/RequestError.js';

const limits = { maxTokens: 512, maxPromptChars: 10_000 };

test('penalties and repetition extensions map to the engine request by name', (t) => {
  const opt = parseCompletion({ model: 'm', prompt: 'Hi', presence_penalty: 0.5, frequency_penalty: -0.25, repetition_penalty: 1.2, no_repeat_ngram_size: 3, min_tokens: 4 }, 'opt', limits);
  t.like(opt.engine, { presencePenalty: 0.5, frequencyPenalty: -0.25, repetitionPenalty: 1.2, noRepeatNgramSize: 3, minNewTokens: 4 });
  const sllm = parseChat({ model: 'm', messages: [{ role: 'user', content: 'Hi.' }], min_sentence_tokens: 2, no_repeat_sentences: true }, 'sllm', limits);
  t.like(sllm.engine, { minSentenceTokens: 2, noRepeatSentences: true });
  t.is(sllm.engine.repetitionPenalty, undefined, 'nothing set that was not asked for');
  t.is(parseCompletion({ model: 'm', prompt: 'Hi', presence_penalty: 0.5 }, 'opt', limits).engine.repetitionPenalty, undefined, 'presence_penalty is not a repetition penalty');
});

test('out-of-range penalties are a 400 naming the field', (t) => {
  for (const [field, value] of [['presence_penalty', 2.5], ['frequency_penalty', '1'], ['repetition_penalty', 0], ['no_repeat_ngram_size', 1.5], ['min_tokens', -1]] as const) {
    const error = t.throws(() => parseCompletion({ model: 'm', prompt: 'Hi', [field]: value }, 'opt', limits), { instanceOf: RequestError });
    t.regex(error.message, new RegExp(field));
  }
});
