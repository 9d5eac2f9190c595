/**
 * The abort convention of OPT.stream/generate and SLLM.generate/generateText: an aborted signal
 * stops within one step, yields nothing produced after the abort, and rejects with the signal's
 * reason — an 'AbortError' DOMException by default, the caller's own reason passed through
 * unchanged — as Node's own APIs, fetch and the openai client do. A signal already aborted
 * rejects before any work; a signal that is not an AbortSignal is an InvalidArgumentError.
 */
import { join } from 'node:path';

import test from 'ava';

import { InvalidArgumentError, OPT, SLLM } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { testDevice } from '../helpers/device.js';

/** What a Promise rejected with (undefined when it resolved): ava's throwsAsync wants Error instances, DOMException is not one to it. */
const rejection = (p: Promise<unknown>) => p.then(() => undefined, (error: unknown) => error);

const optDir = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');

test('OPT.stream: abort after the 2nd token rejects with an AbortError at once; a custom reason passes through', async (t) => {
  await using opt = await OPT.load(optDir, { device: testDevice });
  const controller = new AbortController();
  const seen: number[] = [];
  const error = await rejection((async () => {
    for await (const e of opt.stream(['Hello', 'The jury'], { maxNewTokens: 30, signal: controller.signal })) {
      seen.push(e.row);
      if (seen.length === 2) controller.abort();
    }
  })());
  t.true(error instanceof DOMException);
  t.is((error as DOMException).name, 'AbortError');
  t.is(error, controller.signal.reason);
  // Two rows: the 2nd event is the last of the first step, so nothing more was handed out.
  t.deepEqual(seen, [0, 1]);

  const reason = new Error('user cancelled');
  const custom = new AbortController();
  const got = await rejection(opt.generate('Hello', { maxNewTokens: 30, signal: custom.signal, onToken: () => custom.abort(reason) }));
  t.is(got, reason, 'generate() rejects with the exact reason given to abort()');
});

test('OPT: an already aborted signal rejects before any token; a non-signal is an InvalidArgumentError', async (t) => {
  await using opt = await OPT.load(optDir, { device: testDevice });
  let tokens = 0;
  const error = await rejection(opt.generate('Hello', { maxNewTokens: 5, signal: AbortSignal.abort(), onToken: () => tokens++ }));
  t.is((error as Error).name, 'AbortError');
  t.is(tokens, 0);
  const timeout = await rejection(opt.generate('Hello', { maxNewTokens: 5, signal: AbortSignal.abort(new DOMException('too slow', 'TimeoutError')) }));
  t.is((timeout as Error).name, 'TimeoutError', 'AbortSignal.timeout-style reasons pass through');
  await t.throwsAsync(opt.generate('Hello', { signal: {} as AbortSignal }), { instanceOf: InvalidArgumentError, message: /Expected AbortSignal for signal but received an object/ });
});

test('SLLM.generate / generateText: abort after the first sentence rejects with the reason; no later sentence is yielded', async (t) => {
  await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 1 }, device: testDevice });
  const options = { maxSentences: 10, maxSentenceTokens: 3, ignoreStop: true };
  const controller = new AbortController();
  const seen: number[] = [];
  const error = await rejection((async () => {
    for await (const e of sllm.generate(['It was late.', 'The jury met.'], { ...options, signal: controller.signal })) {
      seen.push(e.row);
      controller.abort();
    }
  })());
  t.is((error as Error).name, 'AbortError');
  t.is(error, controller.signal.reason);
  t.deepEqual(seen, [0], 'the abort came during the first event: the second row\'s sentence of that step is not handed out');

  const reason = { why: 'not an Error at all' };
  const custom = new AbortController();
  const got = await rejection(sllm.generateText('It was late.', { ...options, signal: custom.signal, onSentence: () => custom.abort(reason) }));
  t.is(got, reason);

  let sentences = 0;
  const early = await rejection(sllm.generateText('It was late.', { ...options, signal: AbortSignal.abort(), onSentence: () => sentences++ }));
  t.is((early as Error).name, 'AbortError');
  t.is(sentences, 0);
  await t.throwsAsync(sllm.generateText('It was late.', { signal: 'stop' as unknown as AbortSignal }), { instanceOf: InvalidArgumentError, message: /for signal/ });
});
