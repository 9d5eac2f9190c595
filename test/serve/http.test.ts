/**
 * The OpenAI-compatible server, driven by the real `openai` client over 127.0.0.1 against a real
 * Engine over tiny random-weight models (SLLM: one stream chunk per sentence; OPT: per token).
 */
import { once } from 'node:events';

import test from 'ava';
import OpenAI from 'openai';

import { post, prompts, scrape, serve, tinyOpt, tinySllm } from './http-helpers.js';

const isOpenAiError = (json: unknown, status: number) => {
  const e = (json as { error?: Record<string, unknown> } | null)?.error;
  return status >= 400 && !!e && typeof e.message === 'string' && typeof e.type === 'string' && 'param' in e && 'code' in e && !String(e.message).includes('undefined');
};

test.serial('SLLM: completion and chat completion, plain and streamed one sentence per chunk, with usage', async (t) => {
  await using s = await serve(await tinySllm(), { slots: 4 });
  // Forced 3-token sentences: 12 tokens are 4 sentences, so 4 chunks.
  const body = { model: s.model, prompt: 'The jury met. It said', max_tokens: 12, temperature: 0, ignore_eos: true, sentence_tokens: [3] };
  const plain = await s.client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming);
  t.is(plain.object, 'text_completion');
  t.true(plain.id.startsWith('cmpl-'));
  t.is(plain.model, s.model);
  t.is(plain.choices.length, 1);
  t.is(plain.choices[0]!.finish_reason, 'length');
  t.true(plain.choices[0]!.text.length > 0);
  t.is(plain.usage!.completion_tokens, 12);
  t.true(plain.usage!.prompt_tokens > 0);
  t.is(plain.usage!.total_tokens, plain.usage!.prompt_tokens + 12);

  const stream = await s.client.completions.create({ ...body, stream: true, stream_options: { include_usage: true } } as OpenAI.CompletionCreateParamsStreaming);
  const texts: string[] = [];
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null | undefined = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.text !== '') texts.push(c.text);
      finish = c.finish_reason ?? finish;
    }
  }
  t.is(texts.length, 4, 'one chunk per generated sentence');
  t.is(texts.join(''), plain.choices[0]!.text, 'the stream carries the same greedy completion');
  t.is(finish, 'length');
  t.deepEqual(usage, plain.usage);

  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What did the jury say?' }];
  const chatBody = { model: s.model, messages, max_tokens: 9, temperature: 0, ignore_eos: true, sentence_tokens: [3] };
  const chat = await s.client.chat.completions.create(chatBody as OpenAI.ChatCompletionCreateParamsNonStreaming);
  t.is(chat.object, 'chat.completion');
  t.true(chat.id.startsWith('chatcmpl-'));
  t.is(chat.choices[0]!.message.role, 'assistant');
  t.is(typeof chat.choices[0]!.message.content, 'string');
  t.true(['stop', 'length'].includes(chat.choices[0]!.finish_reason));
  t.is(chat.usage!.total_tokens, chat.usage!.prompt_tokens + chat.usage!.completion_tokens);

  const chatStream = await s.client.chat.completions.create({ ...chatBody, stream: true } as OpenAI.ChatCompletionCreateParamsStreaming);
  const deltas: OpenAI.ChatCompletionChunk.Choice.Delta[] = [];
  let chatFinish: string | null = null;
  for await (const chunk of chatStream) {
    t.is(chunk.object, 'chat.completion.chunk');
    t.true(chunk.id.startsWith('chatcmpl-'));
    deltas.push(chunk.choices[0]!.delta);
    chatFinish = chunk.choices[0]!.finish_reason ?? chatFinish;
  }
  t.is(deltas[0]!.role, 'assistant');
  t.is(deltas.map((d) => d.content ?? '').join(''), chat.choices[0]!.message.content ?? '');
  t.is(chatFinish, chat.choices[0]!.finish_reason);

  const echoed = await s.client.completions.create({ ...body, echo: true } as OpenAI.CompletionCreateParamsNonStreaming);
  t.is(echoed.choices[0]!.text, body.prompt + plain.choices[0]!.text, 'echo puts the prompt in front');

  const models = await s.client.models.list();
  t.deepEqual(models.data.map((m) => m.id), [s.model]);
  const health = await (await fetch(`${s.url}/health`)).json() as { status: string; kind: string; slots: number };
  t.like(health, { status: 'ok', kind: 'sllm', slots: 4 });
});

test.serial('OPT: streamed completion sends one chunk per token; chat too', async (t) => {
  await using s = await serve(await tinyOpt(), { slots: 4 });
  const body = { model: s.model, prompt: 'Hello there, my', max_tokens: 10, temperature: 0, ignore_eos: true };
  const plain = await s.client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming);
  t.is(plain.usage!.completion_tokens, 10);
  t.is(plain.choices[0]!.finish_reason, 'length');
  const stream = await s.client.completions.create({ ...body, stream: true } as OpenAI.CompletionCreateParamsStreaming);
  const texts: string[] = [];
  for await (const chunk of stream) if (chunk.choices[0]!.text !== '') texts.push(chunk.choices[0]!.text);
  // A token that ends inside a multi-byte character adds no text yet: at most one chunk per token.
  t.true(texts.length >= 5 && texts.length <= 10, `${texts.length} chunks for 10 tokens`);
  t.is(texts.join(''), plain.choices[0]!.text);
  const chat = await s.client.chat.completions.create({ model: s.model, messages: [{ role: 'user', content: 'Hi.' }], max_tokens: 5, temperature: 0, stream: true });
  let content = '';
  for await (const chunk of chat) content += chunk.choices[0]?.delta.content ?? '';
  t.is(typeof content, 'string');
});

for (const kind of ['sllm', 'opt'] as const) {
  test.serial(`${kind}: 16 concurrent streams are all served in one batch, and greedy outputs equal the same requests one at a time`, async (t) => {
    await using s = await serve(kind === 'sllm' ? await tinySllm() : await tinyOpt(), { slots: 16, maxQueue: 16 });
    // Long enough (60 and 100 steps) that all 16 arrive while the first ones still run.
    const body = (prompt: string) => ({
      model: s.model, prompt, max_tokens: kind === 'sllm' ? 120 : 100, temperature: 0, ignore_eos: true, ...(kind === 'sllm' ? { sentence_tokens: [2] } : {}),
    }) as OpenAI.CompletionCreateParamsNonStreaming;
    const run = async (prompt: string) => {
      const stream = await s.client.completions.create({ ...body(prompt), stream: true });
      let text = '', finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]!.text;
        finish = chunk.choices[0]!.finish_reason ?? finish;
      }
      return { text, finish };
    };
    const together = await Promise.all(prompts.map(run));
    t.true(together.every((r) => r.finish === 'length' && r.text.length > 0), 'every stream ran to its end');
    const m = await scrape(s.url);
    t.is(m.get('sentencevae_batch_occupancy_peak'), 16, 'one engine step carried all 16 rows');
    t.true(m.get('sentencevae_batch_occupancy_bucket{le="16"}')! > m.get('sentencevae_batch_occupancy_bucket{le="15"}')!);
    t.is(m.get('sentencevae_http_requests_total{route="/v1/completions",status="200"}'), 16);
    t.is(m.get('sentencevae_generated_tokens_total'), 16 * (kind === 'sllm' ? 120 : 100));
    t.true(m.get('sentencevae_time_to_first_output_seconds_count{endpoint="completions"}') === 16);
    const alone: { text: string }[] = [];
    for (const p of prompts) alone.push(await run(p));
    t.deepEqual(together.map((r) => r.text), alone.map((r) => r.text), 'batching does not change a greedy completion');
  });
}

test.serial('a full queue gives 429; a client that disconnects frees its slot for the next request', async (t) => {
  await using s = await serve(await tinySllm(), { slots: 1, maxQueue: 1 });
  const long = await s.client.completions.create({
    model: s.model, prompt: 'The jury met.', max_tokens: 4000, temperature: 0, ignore_eos: true, sentence_tokens: [30], stream: true,
  } as OpenAI.CompletionCreateParamsStreaming);
  const reader = long[Symbol.asyncIterator]();
  t.false((await reader.next()).done, 'the long request holds the only slot');
  const queued = s.client.completions.create({ model: s.model, prompt: 'Hello.', max_tokens: 4, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
  while (s.engine.stats().queued < 1) await once(s.engine, 'step');
  const full = await post(s.url, '/v1/completions', JSON.stringify({ model: s.model, prompt: 'Too many.', max_tokens: 4 }));
  t.is(full.status, 429);
  t.true(isOpenAiError(full.json, full.status));
  t.is((full.json as { error: { code: string } }).error.code, 'rate_limit_exceeded');
  const viaClient = await t.throwsAsync(s.client.completions.create({ model: s.model, prompt: 'Too many.', max_tokens: 4 }));
  t.true(viaClient instanceof OpenAI.RateLimitError);

  long.controller.abort();
  const next = await queued;
  t.is(next.usage!.completion_tokens, 4, 'the queued request got the freed slot and finished');
  const m = await scrape(s.url);
  t.is(m.get('sentencevae_request_duration_seconds_count{endpoint="completions",finish_reason="abort"}'), 1, 'the disconnected request was aborted, not run to its end');
  t.true(m.get('sentencevae_generated_tokens_total')! < 4000);
  t.is(m.get('sentencevae_http_requests_total{route="/v1/completions",status="429"}'), 2);
  t.is(m.get('sentencevae_http_requests_total{route="/v1/completions",status="499"}'), 1);
  t.is(s.engine.stats().busySlots, 0);
});

test.serial('an API key is required when set (401 in OpenAI shape), compared as a bearer token', async (t) => {
  await using s = await serve(await tinyOpt(), { slots: 2 }, { apiKey: 'right-key' });
  const body = { model: s.model, prompt: 'Hi', max_tokens: 2 };
  const wrong = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'wrong-key', maxRetries: 0 });
  const e = await t.throwsAsync(wrong.completions.create(body));
  t.true(e instanceof OpenAI.AuthenticationError);
  t.is((e as InstanceType<typeof OpenAI.AuthenticationError>).status, 401);
  t.is((e as InstanceType<typeof OpenAI.AuthenticationError>).code, 'invalid_api_key');
  for (const headers of [{}, { authorization: 'Bearer right-ke' }, { authorization: 'Bearer right-keyy' }, { authorization: 'right-key' }]) {
    const r = await post(s.url, '/v1/completions', JSON.stringify(body), headers);
    t.is(r.status, 401);
    t.true(isOpenAiError(r.json, r.status));
  }
  t.is((await s.client.completions.create(body)).usage!.completion_tokens > 0, true);
  t.is((await fetch(`${s.url}/health`)).status, 200, '/health needs no key');
});

test.serial('bad requests get 400/404/413 in OpenAI error shape and the server keeps serving', async (t) => {
  await using s = await serve(await tinySllm(), { slots: 2 }, { bodyLimit: 64 * 1024 });
  const m = s.model;
  const cases: [string, string, number, string | null][] = [
    ['/v1/completions', '{"model": "x", "prompt": ', 400, null],
    ['/v1/completions', '[1, 2]', 400, 'body'],
    ['/v1/completions', JSON.stringify({ model: m }), 400, 'prompt'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 42 }), 400, 'prompt'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: [1, 2, 3] }), 400, 'prompt'],
    ['/v1/completions', JSON.stringify({ prompt: 'x' }), 400, 'model'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', temperature: 'hot' }), 400, 'temperature'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', temperature: 7 }), 400, 'temperature'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', max_tokens: 1e12 }), 400, 'max_tokens'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', max_tokens: -1 }), 400, 'max_tokens'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', max_tokens: 2.5 }), 400, 'max_tokens'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', max_tokens: '10' }), 400, 'max_tokens'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', n: 2 }), 400, 'n'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', stop: 5 }), 400, 'stop'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] }), 400, 'stop'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', stream: 'yes' }), 400, 'stream'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', stream_options: { include_usage: true } }), 400, 'stream_options'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', logprobs: 5 }), 400, 'logprobs'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x', seed: -3 }), 400, 'seed'],
    ['/v1/chat/completions', JSON.stringify({ model: m, messages: 'hello' }), 400, 'messages'],
    ['/v1/chat/completions', JSON.stringify({ model: m, messages: [] }), 400, 'messages'],
    ['/v1/chat/completions', JSON.stringify({ model: m, messages: [{ role: 'wizard', content: 'x' }] }), 400, 'messages[0].role'],
    ['/v1/chat/completions', JSON.stringify({ model: m, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }), 400, 'messages[0].content[0]'],
    ['/v1/chat/completions', JSON.stringify({ model: m, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function' }] }), 400, 'tools'],
    ['/v1/completions', JSON.stringify({ model: 'gpt-4o', prompt: 'x' }), 404, 'model'],
    ['/v1/completions', JSON.stringify({ model: m, prompt: 'x'.repeat(100 * 1024) }), 413, null],
    ['/v1/engines', '{}', 404, null],
  ];
  for (const [path, body, status, param] of cases) {
    const r = await post(s.url, path, body);
    t.is(r.status, status, `${path} ${body.slice(0, 80)}: ${r.text}`);
    t.true(isOpenAiError(r.json, r.status), r.text);
    if (param !== null) t.is((r.json as { error: { param: string } }).error.param, param, r.text);
  }
  // A prompt over the model's context (the tiny SLLM holds 128 sentences) is found after tokenizing,
  // before any chunk: still a plain 400, streamed or not.
  for (const stream of [false, true]) {
    const r = await post(s.url, '/v1/completions', JSON.stringify({ model: m, prompt: 'Yes. '.repeat(200), max_tokens: 4, stream }));
    t.is(r.status, 400, r.text);
    t.true(isOpenAiError(r.json, r.status));
    t.is((r.json as { error: { code: string } }).error.code, 'context_length_exceeded');
  }
  // The typed client surfaces the same errors.
  const e = await t.throwsAsync(s.client.completions.create({ model: m, prompt: 'x', max_tokens: 1e9 }));
  t.true(e instanceof OpenAI.BadRequestError);
  t.is((e as InstanceType<typeof OpenAI.BadRequestError>).param, 'max_tokens');
  // Still serving.
  const ok = await s.client.completions.create({ model: m, prompt: 'Still here.', max_tokens: 3 });
  t.true(ok.usage!.completion_tokens > 0);
  const metrics = await scrape(s.url);
  t.is(metrics.get('sentencevae_http_requests_total{route="/v1/completions",status="400"}'), 22);
});
