import test from 'ava';

import type { Engine, EngineRequest, OPT, SLLM } from '../../lib/index.js';
import { collect, engineOpt, engineOver, engineSllm, essence, oneAtATime, type Outcome, prompts, recordSteps } from './engine-helpers.js';

/**
 * Submits the first `first` requests, then the rest once the batch has run a step (so they join a
 * running batch as slots free up). Records, per request, the step of its first and last chunk.
 */
async function joining(engine: Engine, requests: readonly EngineRequest[], first: number) {
  let step = 0;
  engine.on('step', () => step++);
  const spans = requests.map(() => ({ first: -1, last: -1 }));
  const follow = async (i: number): Promise<Outcome> => {
    const handle = engine.submit(requests[i]!);
    const chunks: string[] = [];
    for await (const c of handle) {
      chunks.push(c.text);
      if (spans[i]!.first < 0) spans[i]!.first = step;
      spans[i]!.last = step;
    }
    return { result: await handle.result, chunks };
  };
  const running = requests.slice(0, first).map((_, i) => follow(i));
  await new Promise((resolve) => engine.once('step', resolve));
  const later = requests.slice(first).map((_, i) => follow(first + i));
  return { outcomes: await Promise.all([...running, ...later]), spans };
}

/** True when some request started while another one that started earlier was still producing. */
function someoneJoined(spans: readonly { first: number; last: number }[]): boolean {
  return spans.some((b) => spans.some((a) => a !== b && a.first < b.first && b.first <= a.last));
}

const sllmRequests: EngineRequest[] = prompts.map((prompt, i) => ({
  prompt, temperature: 0, maxSentences: 2 + (i % 4), ignoreStop: i % 2 === 0, ...(i === 3 ? { maxTokens: 7 } : {}),
}));
const optRequests: EngineRequest[] = prompts.map((prompt, i) => ({ prompt, temperature: 0, maxTokens: 4 + 3 * i, ignoreStop: i === 5 }));

for (const [kind, make, requests] of [['sllm', engineSllm, sllmRequests], ['opt', engineOpt, optRequests]] as const) {
  test(`${kind}: greedy outputs inside a busy batch (rows joining and leaving) equal each request alone`, async (t) => {
    await using model = (await make()) as SLLM | OPT;
    await using single = await engineOver(model, { slots: 3 });
    const expected = await oneAtATime(single, requests);
    await using busy = await engineOver(model, { slots: 3 });
    const steps = recordSteps(busy);
    const { outcomes, spans } = await joining(busy, requests, 3);
    t.deepEqual(outcomes.map(essence), expected.map(essence));
    // Streaming adds up to the result; the requests that ignore the model's stop signal produced something.
    outcomes.forEach((o, i) => {
      t.is(o.chunks.join(''), o.result.text);
      if (requests[i]!.ignoreStop) t.true(o.result.completionTokens > 0);
    });
    t.true(outcomes.filter((o) => o.result.completionTokens > 0).length >= 4);
    t.true(someoneJoined(spans), `no request joined a running batch: ${JSON.stringify(spans)}`);
    t.is(Math.max(...steps.map((s) => s.busySlots)), 3);
  });

  test(`${kind}: a sampled request gives the same text alone and among other sampled requests (own seed, own stream)`, async (t) => {
    await using model = (await make()) as SLLM | OPT;
    const sampled = requests.map((r, i) => ({ ...r, temperature: 0.9, topK: 50, topP: 0.95, seed: 100 + i }));
    await using single = await engineOver(model, { slots: 4 });
    const expected = await oneAtATime(single, sampled);
    await using busy = await engineOver(model, { slots: 4 });
    const { outcomes } = await joining(busy, sampled, 4);
    t.deepEqual(outcomes.map(essence), expected.map(essence));
    // Not a greedy run in disguise: some sampled text differs from the greedy one.
    await using greedy = await engineOver(model, { slots: 4 });
    const greedyOut = await oneAtATime(greedy, requests);
    t.true(outcomes.some((o, i) => o.result.text !== greedyOut[i]!.result.text));
  });
}

test('sllm: a greedy engine request equals SLLM.generateText() of the same prompt', async (t) => {
  await using sllm = await engineSllm();
  await using engine = await engineOver(sllm, { slots: 2 });
  for (const prompt of prompts.slice(0, 3)) {
    const [reference] = await sllm.generateText([prompt], { maxSentences: 3, ignoreStop: true });
    const { result } = await collect(engine.submit({ prompt, temperature: 0, maxSentences: 3, ignoreStop: true }));
    t.is(result.text, reference!);
    t.is(result.finishReason, 'length');
  }
});

test('opt: a greedy engine request equals OPT.generate() of the same prompt', async (t) => {
  await using opt = await engineOpt();
  await using engine = await engineOver(opt, { slots: 2 });
  for (const prompt of prompts.slice(0, 3)) {
    const [reference] = await opt.generate([prompt], { maxNewTokens: 12 });
    const { result } = await collect(engine.submit({ prompt, temperature: 0, maxTokens: 12 }));
    t.is(result.text, reference!);
  }
});

for (const [kind, make] of [['sllm', engineSllm], ['opt', engineOpt]] as const) {
  test(`${kind}: 16 concurrent requests run in one batch (a step with 16 busy slots)`, async (t) => {
    await using model = (await make()) as SLLM | OPT;
    await using engine = await engineOver(model, { slots: 16 });
    const steps = recordSteps(engine);
    const handles = Array.from({ length: 16 }, (_, i) => engine.submit({
      prompt: prompts[i % prompts.length]!, temperature: 0, ignoreStop: true, maxSentences: 3, maxTokens: kind === 'opt' ? 8 : 256,
    }));
    const results = await Promise.all(handles.map((h) => h.result));
    t.true(results.every((r) => r.finishReason === 'length'));
    t.is(Math.max(...steps.map((s) => s.busySlots)), 16);
    t.is(engine.stats().requestsTotal, 16);
    t.is(engine.stats().completionTokensTotal, results.reduce((n, r) => n + r.completionTokens, 0));
  });
}
