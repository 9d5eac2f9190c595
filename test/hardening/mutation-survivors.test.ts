/**
 * Model-dependent tests for bugs a mutation audit planted and the suite did not notice (issue
 * 15, item 15); the model-free ones are in mutation-units.test.ts. Each test names the mutation
 * it kills; each was checked by planting that mutation by hand, seeing the test fail, and
 * reverting.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { learningRate, OPT, SLLM, Tensor, Tokenizer, Trainer, type OptConfig, type SentenceEvent, type StepReport } from '../../lib/index.js';
import { testDevice } from '../helpers/device.js';
import { tinySetup, weightsOf } from '../helpers/training.js';

// ---------------------------------------------------------------------------------------------
// Mutation: default temperature 1 -> 0.7, seen through generation (the unit check is in
// mutation-units.test.ts).

const explicitDefaults = { sample: false, temperature: 1, topK: 0, topP: 1, seed: 0 } as const;

test('sampled generation with default options equals the same call with explicit defaults (OPT, SLLM)', async (t) => {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  await using opt = await OPT.create(tinyOptConfig(tokenizer.vocabSize), { tokenizer, device: testDevice, seed: 4 });
  // Several rows: a random tiny OPT's logits are flat (±0.3), so a temperature change flips a
  // sampled token only now and then; over 4 × 16 draws it does.
  const input = { inputIds: [[2, 100, 200, 300], [2, 7, 8, 9], [2, 1000, 2000, 3000], [2, 55, 66, 77]] };
  const implicit = await opt.decodeSteps(input, { sample: true, seed: 7, maxNewTokens: 16, ignoreEos: true, withLogits: true });
  const explicit = await opt.decodeSteps(input, { ...explicitDefaults, sample: true, seed: 7, maxNewTokens: 16, ignoreEos: true, withLogits: true });
  t.deepEqual(implicit.tokens, explicit.tokens);
  // And the comparison has power: another temperature changes the samples.
  const cooler = await opt.decodeSteps(input, { sample: true, seed: 7, temperature: 0.7, maxNewTokens: 16, ignoreEos: true });
  t.notDeepEqual(cooler.tokens, implicit.tokens);

  await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 1 }, device: testDevice, seed: 2 });
  const run = async (options: object) => {
    const events: SentenceEvent[] = [];
    for await (const e of sllm.generate('It was late. The jury met.', { maxSentences: 3, maxSentenceTokens: 8, ignoreStop: true, ...options })) events.push(e);
    return events.map((e) => Array.from(e.ids));
  };
  t.deepEqual(await run({ sample: true, seed: 11 }), await run({ ...explicitDefaults, sample: true, seed: 11 }));
  t.notDeepEqual(await run({ sample: true, seed: 11, temperature: 0.7 }), await run({ sample: true, seed: 11 }));
});

// ---------------------------------------------------------------------------------------------
// Mutation: maxTokens off by one at the exact limit (`>=` -> `>`: an extra empty "truncated"
// sentence after a sentence that ends exactly at the limit).

test('SLLM: a sentence that ends exactly at maxTokens is the last one, complete and not truncated', async (t) => {
  await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 1 }, device: testDevice });
  for (const maxTokens of [4, 8, 12]) {
    const events: SentenceEvent[] = [];
    for await (const e of sllm.generate('It was late.', { maxTokens, maxSentences: 10, ignoreStop: true, sentenceTokens: [4] })) events.push(e);
    t.deepEqual(events.map((e) => e.ids.length), Array(maxTokens / 4).fill(4), `maxTokens ${maxTokens}`);
    t.deepEqual(events.map((e) => e.truncated), Array(maxTokens / 4).fill(false), `maxTokens ${maxTokens}`);
  }
  // One token fewer: the last sentence is cut to 3 and says so.
  const events: SentenceEvent[] = [];
  for await (const e of sllm.generate('It was late.', { maxTokens: 7, maxSentences: 10, ignoreStop: true, sentenceTokens: [4] })) events.push(e);
  t.deepEqual(events.map((e) => [e.ids.length, e.truncated]), [[4, false], [3, true]]);
  // maxSentences at its exact limit too.
  const three: SentenceEvent[] = [];
  for await (const e of sllm.generate('It was late.', { maxSentences: 3, ignoreStop: true, sentenceTokens: [2] })) three.push(e);
  t.deepEqual(three.map((e) => e.index), [1, 2, 3]);
});

test('OPT: exactly maxNewTokens steps; prompt + maxNewTokens may equal max_position_embeddings, one more is refused', async (t) => {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  const config = tinyOptConfig(tokenizer.vocabSize);
  await using opt = await OPT.create(config, { tokenizer, device: testDevice, seed: 5 });
  for (const n of [1, 2, 5]) {
    const { tokens } = await opt.decodeSteps({ inputIds: [[2, 100, 200]] }, { maxNewTokens: n, ignoreEos: true });
    t.is(tokens.length, n, `maxNewTokens ${n}`);
  }
  const prompt = [2, 100, 200, 300];
  const fits = config.maxPositions - prompt.length;
  const { tokens } = await opt.decodeSteps({ inputIds: [prompt] }, { maxNewTokens: fits, ignoreEos: true });
  t.is(tokens.length, fits);
  await t.throwsAsync(opt.decodeSteps({ inputIds: [prompt] }, { maxNewTokens: fits + 1, ignoreEos: true }), { message: /max_position_embeddings/ });
  // The streaming API stops at the same count (a random model may end earlier on eos).
  const streamed = [];
  for await (const e of opt.stream('Hello there', { maxNewTokens: 3 })) streamed.push(e);
  t.true(streamed.length <= 3);
  t.deepEqual(streamed.map((e) => e.index), streamed.map((_, i) => i + 1));
});

// ---------------------------------------------------------------------------------------------
// Mutations: the Trainer evaluating the live weights instead of the EMA; every update using the
// next step's learning rate.

const quiet = { progress: false } as const;

test('Trainer: evaluation uses the EMA weights (equals withEma(evaluate), differs from the live weights)', async (t) => {
  const { vae, train, held } = await tinySetup(6, 0);
  const reports: number[] = [];
  const result = await new Trainer(vae, {
    ...quiet, out: mkdtempSync(join(tmpdir(), 'svae-mut-')), maxSteps: 6, evalEvery: 0, emaDecay: 0.9, seed: 1,
    schedule: { baseLr: 1e-2, warmupSteps: 0, cosinePeriod: 100 },
  }).run({ batches: train.batches({ batchSize: 8, seed: 2 }), validation: held, onEval: (r) => reports.push(r.loss) });
  t.is(reports.length, 1);
  t.is(result.lastEval?.loss, reports[0]);
  const ema = await vae.withEma(() => vae.evaluate(held, { gamma: 2 }));
  const live = await vae.evaluate(held, { gamma: 2 });
  t.is(reports[0], ema.loss);
  t.true(Math.abs(live.loss - ema.loss) > 1e-4, `live ${live.loss} vs EMA ${ema.loss}: the check needs them apart`);
  vae.dispose();
});

test('Trainer: update k reports and applies learningRate(k)', async (t) => {
  const schedule = { baseLr: 5e-3, warmupSteps: 3, warmupStartFactor: 0.01, cosinePeriod: 10 };
  const { vae, train } = await tinySetup(8, 0);
  const steps: StepReport[] = [];
  await new Trainer(vae, { ...quiet, out: mkdtempSync(join(tmpdir(), 'svae-mut-')), maxSteps: 5, evalEvery: 0, emaDecay: 0, seed: 3, schedule })
    .run({ batches: train.batches({ batchSize: 8, seed: 5 }), onStep: (r) => steps.push(r) });
  t.deepEqual(steps.map((r) => r.lr), [0, 1, 2, 3, 4].map((k) => learningRate(k, schedule)));
  const trained = await weightsOf(vae);

  // The same updates by hand, with learningRate(k) applied at update k: bitwise the same weights.
  const replay = await tinySetup(8, 0);
  await replay.vae.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, emaDecay: 0, amp: 'off' }, 3);
  const batches = replay.train.batches({ batchSize: 8, seed: 5 });
  for (let k = 0; k < 5; k++) {
    await replay.vae.accumulate(batches.next(), { gamma: 2, scale: 1 });
    await replay.vae.applyStep({ lr: learningRate(k, schedule), clip: 1 });
  }
  t.deepEqual(await weightsOf(replay.vae), trained);
  vae.dispose();
  replay.vae.dispose();
});

// ---------------------------------------------------------------------------------------------
// Mutation: a LayerNorm eps change (OPT uses 1e-5). The fixtures' activations have variance far
// above eps, so eps moves their logits by ~1e-4 only. Here the weights are set so every
// LayerNorm sees variance ~1e-5 and the network reduces to a few lines of arithmetic computed
// below in float64: eps 1e-5 -> 1e-6 (or 1e-12, or 1e-4) moves the logits by tens of percent.

function tinyOptConfig(tokenizerSize: number): OptConfig {
  return {
    vocabSize: Math.ceil(tokenizerSize / 8) * 8, hidden: 16, ffn: 16, layers: 1, heads: 2, maxPositions: 24,
    wordEmbedProjDim: 16, preNorm: true, finalNorm: true, padId: 1, bosId: 2, eosId: 2,
  };
}

/** Deterministic pseudo-random numbers in [-1, 1). */
function noise(seed: number, n: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function layerNorm(x: Float64Array, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  const h = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / h;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / h;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[i]! + beta[i]!);
}

test('OPT LayerNorm eps is 1e-5: logits of a low-variance network match a float64 reference with a wide margin', async (t) => {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  const config = tinyOptConfig(tokenizer.vocabSize);
  const h = config.hidden;
  const v = config.vocabSize;
  await using opt = await OPT.create(config, { tokenizer, device: testDevice, seed: 1 });
  const scale = 3e-3; // activations' variance ~1e-5, the order of eps
  const embed = noise(1, v * h).map((x) => x * scale);
  const positions = noise(2, (config.maxPositions + 2) * h).map((x) => x * scale);
  const g1 = noise(3, h).map((x) => (1.5 + x) * 2e-3);
  const g2 = noise(4, h).map((x) => (1.5 + x) * 2e-3);
  const b2 = noise(5, h).map((x) => x * 1e-3);
  const gf = noise(6, h).map((x) => 1 + 0.5 * x);
  const bf = noise(7, h).map((x) => 0.1 * x);
  const zeros = new Float64Array(h);
  const identity = (n: number) => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  const byRole: Record<string, Float64Array> = {
    'embed_tokens.weight': embed, 'embed_positions.weight': positions,
    'q_proj.weight': new Float64Array(h * h), 'q_proj.bias': zeros, 'k_proj.weight': new Float64Array(h * h), 'k_proj.bias': zeros,
    'v_proj.weight': identity(h), 'v_proj.bias': zeros, 'out_proj.weight': identity(h), 'out_proj.bias': zeros,
    'self_attn_layer_norm.weight': g1, 'self_attn_layer_norm.bias': zeros,
    'fc1.weight': identity(h), 'fc1.bias': zeros, 'fc2.weight': identity(h), 'fc2.bias': zeros,
    'layers.0.final_layer_norm.weight': g2, 'layers.0.final_layer_norm.bias': b2,
    'decoder.final_layer_norm.weight': gf, 'decoder.final_layer_norm.bias': bf,
  };
  const current = opt.namedTensors();
  const replaced = new Map<string, Tensor>();
  for (const [name, tensor] of current) {
    const role = Object.keys(byRole).find((r) => name.endsWith(r) && (r !== 'decoder.final_layer_norm.weight' && r !== 'decoder.final_layer_norm.bias' || !name.includes('layers.')));
    if (!role) t.fail(`no value for ${name}`);
    const values = Float32Array.from(byRole[role!]!);
    t.is(values.length, tensor.size, name);
    replaced.set(name, await Tensor.from(values, { shape: tensor.shape }));
    tensor.dispose();
  }
  await opt.loadNamedTensors(replaced);
  for (const x of replaced.values()) x.dispose();

  const ids = [2, 11, 500, 3001, 42];
  const { logits } = await opt.forward({ inputIds: [ids] });
  const reference = (eps: number) => {
    // Uniform causal attention (q = k = 0), v = out = identity: position t averages LN1(x_s), s <= t.
    const x0 = ids.map((id, p) => Float64Array.from({ length: h }, (_, i) => embed[id * h + i]! + positions[(p + 2) * h + i]!));
    const ln1 = x0.map((x) => layerNorm(x, g1, zeros, eps));
    return x0.map((x, p) => {
      const x1 = x.map((xi, i) => xi + ln1.slice(0, p + 1).reduce((a, l) => a + l[i]!, 0) / (p + 1));
      const ffn = layerNorm(x1, g2, b2, eps).map((y) => Math.max(0, y));
      const x2 = x1.map((xi, i) => xi + ffn[i]!);
      const out = layerNorm(x2, gf, bf, eps);
      return Float64Array.from({ length: tokenizer.vocabSize }, (_, w) => out.reduce((a, o, i) => a + o * embed[w * h + i]!, 0));
    });
  };
  const deviation = (eps: number) => {
    const ref = reference(eps);
    let worst = 0;
    let size = 0;
    ref.forEach((row, p) => row.forEach((r, w) => {
      worst = Math.max(worst, Math.abs(logits[p * v + w]! - r));
      size = Math.max(size, Math.abs(r));
    }));
    return worst / size;
  };
  const right = deviation(1e-5);
  t.true(right < 1e-4, `relative deviation from the eps = 1e-5 reference: ${right}`);
  // The margin: the reference with another eps is far away, so a changed eps cannot pass.
  for (const eps of [1e-6, 1e-12, 1e-4]) t.true(deviation(eps) > 100 * right && deviation(eps) > 1e-2, `eps ${eps}: ${deviation(eps)}`);
});
