/**
 * `npm run demo`: the main job on a small built-in default.
 *  1. what the native layer runs on, and a small native forward pass;
 *  2. a tiny SentenceVAE trained for a few seconds on Brown sentences, reconstructing them
 *     (each sentence squeezed into one 128-number vector and expanded back);
 *  3. a tiny SLLM (that SentenceVAE shape + 2 OPT layers over sentence vectors) trained on a
 *     few Brown paragraphs, continuing each from its first sentence, one sentence per step,
 *     until its stop head ends the paragraph.
 */
import {
  brownParagraphs, brownSentences, info, linear, padSentences, ParagraphDataset, randn, relu, segment, SentenceVAE, SLLM, softmax,
} from '../lib/index.js';

const i = info();
console.log('sentencevae native layer');
console.log(`  LibTorch ${i.libtorchVersion} (${i.torchSource}, built with ${i.buildSystem})`);
console.log(`  devices: ${i.devices.map((d) => d.name).join(', ')}; threads: ${i.threads}`);
console.log(`  BLAS: ${i.blasLibraries.join(', ') || 'none loaded yet'}`);

// A small MLP forward pass: x[4, 64] -> 256 -> 8 classes, random weights with fixed seeds.
const x = await randn([4, 64], { seed: 1 });
const w1 = await randn([256, 64], { seed: 2 });
const w2 = await randn([8, 256], { seed: 3 });
const started = performance.now();
const probs = await softmax(await linear(await relu(await linear(x, w1)), w2), -1);
const p = (await probs.toArray()) as Float32Array;
console.log(`\nMLP forward [4, 64] -> [4, 8] in ${(performance.now() - started).toFixed(2)} ms; softmax row sums: ${[0, 1, 2, 3].map((r) => p.subarray(r * 8, r * 8 + 8).reduce((a, b) => a + b, 0).toFixed(4)).join(', ')}`);

// A tiny SentenceVAE learns to reconstruct 48 Brown sentences.
await using vae = await SentenceVAE.create({ preset: 'tiny', config: { dropout: 0 }, seed: 1 });
const sentences = await brownSentences(vae.tokenizer, 48, 20);
const batch = padSentences(await vae.tokenize(sentences), { padId: vae.config.padId });
console.log(`\nSentenceVAE '${'tiny'}': ${vae.parameterCount.toLocaleString()} parameters, hidden ${vae.config.hidden}, training on ${sentences.length} Brown sentences`);
const t0 = performance.now();
let step = 0;
let exact = 0;
while (step < 300 && exact < 1) {
  let loss = 0;
  for (let k = 0; k < 25; k++, step++) loss = (await vae.trainStep(batch, { lr: 3e-3 })).loss;
  exact = (await vae.evaluate(sentences)).exactMatch;
  console.log(`  step ${step}: focal loss ${loss.toFixed(4)}, exact reconstructions ${(100 * exact).toFixed(0)}% (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
const shown = sentences.slice(0, 6);
const rebuilt = await vae.reconstruct(shown);
console.log('\n  input  -> one vector -> output');
shown.forEach((s, k) => console.log(`  ${JSON.stringify(s)}\n     -> ${JSON.stringify(rebuilt[k])}${rebuilt[k] === s ? '  ✓' : ''}`));
const unseen = [' The weather was cold,', ' and the children stayed inside.'];
const guesses = await vae.reconstruct(unseen);
console.log('\n  unseen sentences (48 training sentences teach it nothing general yet):');
unseen.forEach((s, k) => console.log(`  ${JSON.stringify(s)} -> ${JSON.stringify(guesses[k])}`));

// A tiny SLLM learns 4 short Brown paragraphs, then writes each one's continuation sentence by sentence.
const paragraphs = await brownParagraphs(4);
await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 2 }, seed: 1 });
const data = await ParagraphDataset.fromParagraphs(paragraphs, sllm.tokenizer, {});
console.log(`\nSLLM: ${sllm.parameterCount.toLocaleString()} parameters (SentenceVAE hidden ${sllm.config.svae.hidden} + ${sllm.config.llm.layers} OPT layers over sentences + stop head), training on ${paragraphs.length} Brown paragraphs`);
await sllm.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off' }, 1);
const batches = data.batches({ batchSize: paragraphs.length, seed: 1 });
const t1 = performance.now();
for (let k = 1; k <= 150; k++) {
  const r = await sllm.accumulate(batches.next(), { gamma: 2, scale: 1 });
  await sllm.applyStep({ lr: 3e-3, clip: 1 });
  if (k % 50 === 0) console.log(`  step ${k}: loss ${r.loss.toFixed(4)}, token accuracy ${(100 * r.correct / r.tokens).toFixed(0)}%, stop accuracy ${(100 * r.stopAccuracy).toFixed(0)}% (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
}
console.log('\n  first sentence -> the SLLM continues, one sentence per step, and stops by itself:');
for (const text of paragraphs) {
  const [first, ...rest] = segment(text);
  process.stdout.write(`  ${JSON.stringify(first)}\n     ->`);
  const got: string[] = [];
  for await (const e of sllm.generate(first!, { maxSentences: 8 })) {
    got.push(e.text);
    process.stdout.write(` [${e.text.trim()}]`);
  }
  console.log(got.join('') === rest.join('') ? '  ✓ (stopped)' : '');
}
