import test from 'ava';

import { EngineClosedError, InvalidArgumentError, QueueFullError, type Engine, type EngineHandle, type OPT, type SLLM } from '../../lib/index.js';
import { collect, engineOpt, engineOver, engineSllm, prompts } from './engine-helpers.js';

/** Steps completed so far, and the count at each request's first chunk. */
function stepCounter(engine: Engine) {
  const counter = { steps: 0 };
  engine.on('step', () => counter.steps++);
  return counter;
}

/** Steps completed before the one that streamed the handle's first chunk (reads without cancelling). */
async function firstChunkStep(handle: EngineHandle, counter: { steps: number }): Promise<number> {
  const first = await handle[Symbol.asyncIterator]().next();
  return first.done ? -1 : counter.steps;
}

for (const how of ['signal', 'cancel'] as const) {
  test(`abort (${how}) ends a running request at once and frees its slot within one step: the queued request is admitted`, async (t) => {
    await using opt = await engineOpt();
    await using engine = await engineOver(opt, { slots: 1 });
    const counter = stepCounter(engine);
    const controller = new AbortController();
    const a = engine.submit({ prompt: prompts[0]!, temperature: 0, maxTokens: 1500, ignoreStop: true, signal: controller.signal });
    const b = engine.submit({ prompt: prompts[1]!, temperature: 0, maxTokens: 3 });
    const seen: string[] = [];
    let abortedAt = -1;
    for await (const c of a) {
      seen.push(c.text);
      if (seen.length === 3) {
        abortedAt = counter.steps;
        if (how === 'signal') controller.abort();
        else a.cancel();
      }
    }
    const ra = await a.result;
    t.is(ra.finishReason, 'abort');
    t.is(ra.text, seen.join(''));
    t.is(seen.length, 3);
    const bFirst = await firstChunkStep(b, counter);
    // A's row leaves at the next step boundary (or the one after the step already running) and B takes its slot there.
    t.true(bFirst - abortedAt <= 1, `aborted after step ${abortedAt}, B's first chunk in step ${bFirst + 1}`);
    t.is((await b.result).finishReason, 'length');
  });
}

test('abort before admission: the queued request ends with abort and no tokens', async (t) => {
  await using sllm = await engineSllm();
  await using engine = await engineOver(sllm, { slots: 1 });
  const a = engine.submit({ prompt: prompts[0]!, temperature: 0, ignoreStop: true, maxSentences: 2 });
  const controller = new AbortController();
  const b = engine.submit({ prompt: prompts[1]!, temperature: 0, signal: controller.signal });
  controller.abort();
  const rb = await b.result;
  t.is(rb.finishReason, 'abort');
  t.is(rb.completionTokens, 0);
  t.is(rb.firstChunkMs, null);
  t.is((await a.result).finishReason, 'length');
  // An already-aborted signal ends the request immediately.
  const c = engine.submit({ prompt: prompts[2]!, signal: AbortSignal.abort() });
  t.is((await c.result).finishReason, 'abort');
});

test('QueueFullError when maxQueue requests already wait beyond the free slots; the engine keeps serving', async (t) => {
  await using opt = await engineOpt();
  await using engine = await engineOver(opt, { slots: 1, maxQueue: 1 });
  const a = engine.submit({ prompt: prompts[0]!, temperature: 0, maxTokens: 4 });
  const b = engine.submit({ prompt: prompts[1]!, temperature: 0, maxTokens: 4 });
  const error = t.throws(() => engine.submit({ prompt: prompts[2]! }), { instanceOf: QueueFullError });
  t.is(error?.code, 'ERR_SVAE_QUEUE_FULL');
  t.is(error?.maxQueue, 1);
  t.is(engine.stats().requestsTotal, 2);
  await Promise.all([a.result, b.result]);
  t.is((await engine.submit({ prompt: prompts[2]!, temperature: 0, maxTokens: 2 }).result).completionTokens, 2);
});

test('timeout: a running request and a queued one end with finishReason timeout', async (t) => {
  await using sllm = await engineSllm();
  await using engine = await engineOver(sllm, { slots: 1 });
  // ~125 sentence steps: far longer than the timeout.
  const running = engine.submit({ prompt: prompts[0]!, temperature: 0, ignoreStop: true, maxSentences: 1000, maxTokens: 100_000, timeoutMs: 150 });
  const queued = engine.submit({ prompt: prompts[1]!, temperature: 0, timeoutMs: 20 });
  const rq = await queued.result;
  t.is(rq.finishReason, 'timeout');
  t.is(rq.completionTokens, 0);
  const rr = await running.result;
  t.is(rr.finishReason, 'timeout');
  t.true(rr.completionTokens < 100_000);
});

for (const [kind, make, base] of [
  ['sllm', engineSllm, { temperature: 0, ignoreStop: true, maxSentences: 3 }],
  ['opt', engineOpt, { temperature: 0, maxTokens: 24 }],
] as const) {
  test(`${kind}: stop strings cut the output before the first match (finishReason stop), streamed chunks included`, async (t) => {
    await using model = (await make()) as SLLM | OPT;
    await using engine = await engineOver(model, { slots: 2 });
    const plain = await collect(engine.submit({ prompt: prompts[1]!, ...base }));
    const full = plain.result.text;
    t.true(full.length >= 12, full);
    const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 3);
    const cut = full.indexOf(stop);
    const stopped = await collect(engine.submit({ prompt: prompts[1]!, ...base, stop: ['\u0000never', stop] }));
    t.is(stopped.result.finishReason, 'stop');
    t.is(stopped.result.text, full.slice(0, cut));
    t.is(stopped.chunks.join(''), full.slice(0, cut));
    // A stop string that never matches changes nothing.
    const unmatched = await collect(engine.submit({ prompt: prompts[1]!, ...base, stop: ['\u0000never'] }));
    t.is(unmatched.result.text, full);
    t.is(unmatched.result.finishReason, plain.result.finishReason);
  });
}

test('close() stops admitting, drains accepted requests, is idempotent', async (t) => {
  await using opt = await engineOpt();
  const engine = await engineOver(opt, { slots: 2 });
  const handles = prompts.slice(0, 4).map((prompt) => engine.submit({ prompt, temperature: 0, maxTokens: 5, ignoreStop: true }));
  const closing = engine.close({ graceMs: Number.POSITIVE_INFINITY });  // no deadline: this machine may be slow
  t.is(engine.close(), closing);
  t.throws(() => engine.submit({ prompt: 'Late.' }), { instanceOf: EngineClosedError });
  await closing;
  const results = await Promise.all(handles.map((h) => h.result));
  t.deepEqual(results.map((r) => r.finishReason), ['length', 'length', 'length', 'length']);
  t.deepEqual(results.map((r) => r.completionTokens), [5, 5, 5, 5]);
  t.true(engine.stats().closed);
  t.is(engine.stats().busySlots, 0);
});

test('close({ graceMs: 0 }) cuts in-flight and queued requests with finishReason abort', async (t) => {
  await using sllm = await engineSllm();
  const engine = await engineOver(sllm, { slots: 1 });
  const running = engine.submit({ prompt: prompts[0]!, temperature: 0, ignoreStop: true, maxSentences: 1000, maxTokens: 100_000 });
  const queued = engine.submit({ prompt: prompts[1]!, temperature: 0 });
  for await (const _ of running) break;  // leaving the loop early cancels the request
  t.is((await running.result).finishReason, 'abort');
  const other = engine.submit({ prompt: prompts[2]!, temperature: 0, ignoreStop: true, maxSentences: 1000, maxTokens: 100_000 });
  await engine.close({ graceMs: 0 });
  t.is((await other.result).finishReason, 'abort');
  t.true(['abort', 'stop', 'length'].includes((await queued.result).finishReason));
});

test('bad request fields throw InvalidArgumentError synchronously; bad engine options reject', async (t) => {
  await using sllm = await engineSllm();
  await using engine = await engineOver(sllm, { slots: 1 });
  const bad: unknown[] = [
    { prompt: 3 }, { prompt: 'x.', temperature: -1 }, { prompt: 'x.', maxTokens: 0 }, { prompt: 'x.', maxTokens: 1.5 },
    { prompt: 'x.', stop: [''] }, { prompt: 'x.', stop: 'x' }, { prompt: 'x.', topP: 0 }, { prompt: 'x.', signal: {} },
    { prompt: 'x.', timeoutMs: -5 }, { prompt: '   ' }, null,
  ];
  for (const r of bad) {
    const error = t.throws(() => engine.submit(r as never), { instanceOf: InvalidArgumentError }, JSON.stringify(r));
    t.false(error?.message.includes('undefined') ?? true, error?.message);
  }
  await t.throwsAsync(engineOver(sllm, { slots: 0 }), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(engineOver({} as never), { instanceOf: InvalidArgumentError });
  t.is(engine.stats().requestsTotal, 0);
});

test('a prompt over maxPromptTokens rejects its result (ERR_SVAE_PROMPT_TOO_LONG); the engine keeps serving', async (t) => {
  await using opt = await engineOpt();
  const yes = (await opt.tokenizer.encode('Yes.', { addBos: false })).length;
  await using engine = await engineOver(opt, { slots: 1, maxPromptTokens: yes });
  t.is(await engine.countTokens('Yes.'), yes);
  const long = engine.submit({ prompt: prompts[3]!, temperature: 0 });
  await t.throwsAsync(long.result, { instanceOf: InvalidArgumentError, code: 'ERR_SVAE_PROMPT_TOO_LONG' });
  await t.throwsAsync(collect(long), { code: 'ERR_SVAE_PROMPT_TOO_LONG' });
  const ok = await engine.submit({ prompt: 'Yes.', temperature: 0, maxTokens: 3 }).result;
  t.is(ok.promptTokens, yes);
  t.is(ok.completionTokens, 3);
});
