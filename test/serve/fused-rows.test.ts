// Issue 13: the serving engine's step (native/model/slots.cc) runs its OPT layers through the fused
// CPU step over each row's own cache (kernels::layer_step_rows) — rows of different lengths in
// one step, no padding. Checked against the LibTorch per-row step (kernels.setFused(false)) on
// the same requests, all submitted at once: float32 and int8 give the same greedy text (the
// float32 sums only change order: ~1e-6 σ of the logits in test/kernels/attention.test.ts; int8
// uses the same linear kernels on both paths); bfloat16 may flip a near-tie, so there only the
// path taken is checked. The fusedSteps() counters show which path really ran.
import test from 'ava';

import { Engine, type EngineRequest, OPT, SLLM, Tokenizer } from '../../lib/index.js';
import { callSync } from '../../lib/native/call.js';
import { addon } from '../../lib/native/loader.js';
import { testDevice } from '../helpers/device.js';
import { collect, essence, prompts } from './engine-helpers.js';

const kernels = () => addon().kernels;
const onCpu = testDevice === 'cpu';

async function tinyOpt(dtype: 'float32' | 'int8' | 'bfloat16'): Promise<OPT> {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  return OPT.create({
    vocabSize: Math.ceil(tokenizer.vocabSize / 8) * 8, hidden: 64, ffn: 256, layers: 2, heads: 4, maxPositions: 512, wordEmbedProjDim: 64,
    preNorm: true, finalNorm: true, padId: tokenizer.padId, bosId: tokenizer.bosId, eosId: tokenizer.eosId,
  }, { tokenizer, device: dtype === 'int8' ? 'cpu' : testDevice, seed: 7, dtype });
}

/** Every request submitted at once to a fresh engine; the outcomes and the fused row steps taken. */
async function runAll(model: OPT | SLLM, requests: readonly EngineRequest[], fused: boolean) {
  callSync(() => kernels().setFused(fused));
  try {
    const before = callSync(() => kernels().fusedSteps()).rows;
    await using engine = await Engine.create(model, { slots: requests.length });
    const outcomes = await Promise.all(requests.map((r) => collect(engine.submit(r))));
    return { outcomes, rowSteps: callSync(() => kernels().fusedSteps()).rows - before };
  } finally {
    callSync(() => kernels().setFused(true));
  }
}

const optRequests: EngineRequest[] = prompts.map((prompt, i) => ({ prompt, temperature: 0, maxTokens: 20 + 5 * i, ignoreStop: true }));
const sllmRequests: EngineRequest[] = prompts.map((prompt, i) => ({ prompt, temperature: 0, maxSentences: 3 + (i % 3), ignoreStop: true }));

for (const dtype of ['float32', 'int8', 'bfloat16'] as const) {
  test.serial(`opt ${dtype}: the engine's rows step runs fused on the CPU and gives the LibTorch per-row step's greedy text`, async (t) => {
    await using model = await tinyOpt(dtype);
    const plain = await runAll(model, optRequests, false);
    const fused = await runAll(model, optRequests, true);
    t.is(plain.rowSteps, 0);
    if (onCpu || dtype === 'int8') t.true(fused.rowSteps > 0, 'the fused rows step never ran');
    for (const o of fused.outcomes) t.true(o.result.completionTokens > 0);
    if (dtype !== 'bfloat16') t.deepEqual(fused.outcomes.map(essence), plain.outcomes.map(essence));
  });
}

test.serial('sllm float32: the LLM rows step runs fused and gives the LibTorch per-row step\'s greedy text', async (t) => {
  await using model = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 2 }, device: testDevice, seed: 5 });
  const plain = await runAll(model, sllmRequests, false);
  const fused = await runAll(model, sllmRequests, true);
  t.is(plain.rowSteps, 0);
  if (onCpu) t.true(fused.rowSteps > 0, 'the fused rows step never ran');
  t.deepEqual(fused.outcomes.map(essence), plain.outcomes.map(essence));
});

test.serial('fusedSteps() reports both counters as numbers', (t) => {
  const c = callSync(() => kernels().fusedSteps());
  t.is(typeof c.batched, 'number');
  t.is(typeof c.rows, 'number');
});
