/**
 * Quick engine throughput check (no HTTP): the same requests one at a time vs all submitted at
 * once to a 16-slot Engine, on the 125m shapes with random weights and forced lengths (as the
 * Table-3 bench: SLLM sentences of fixed token counts, OPT without eos).
 * Run: `npx tsc -p tsconfig.json && node dist/bench/engine.js [requests=16] [sentences=4] [sequential=4] [kinds=sllm,opt]`
 * (one at a time runs `sequential` requests, the concurrent run `requests`).
 */
import { performance } from 'node:perf_hooks';

import { Engine, type EngineRequest, OPT, SLLM, Tokenizer } from '../lib/index.js';

const requests = Number(process.argv[2] ?? 16);
const sentences = Number(process.argv[3] ?? 4);
const sequential = Number(process.argv[4] ?? 4);
const kinds = (process.argv[5] ?? 'sllm,opt').split(',') as ('sllm' | 'opt')[];
const lengths = [14, 22, 9, 19, 27, 11, 17, 24].slice(0, sentences);
const total = lengths.reduce((a, b) => a + b, 0);
const config = { vocabSize: 50272, hidden: 768, ffn: 3072, layers: 12, heads: 12, maxPositions: 2048, wordEmbedProjDim: 768, preNorm: true, finalNorm: true, padId: 1, bosId: 2, eosId: 2 };
const tokenizer = await Tokenizer.builtin('gpt2-opt');
const prompt = ' The jury said it was fine today.';

async function measure(engine: Engine, request: EngineRequest, concurrent: boolean, count: number): Promise<{ tokensPerSecond: number; ms: number; maxBusy: number }> {
  let maxBusy = 0;
  const onStep = (s: { busySlots: number }) => (maxBusy = Math.max(maxBusy, s.busySlots));
  engine.on('step', onStep);
  const t0 = performance.now();
  let tokens = 0;
  if (concurrent) {
    const results = await Promise.all(Array.from({ length: count }, () => engine.submit(request).result));
    tokens = results.reduce((n, r) => n + r.completionTokens, 0);
  } else {
    for (let i = 0; i < count; i++) tokens += (await engine.submit(request).result).completionTokens;
  }
  const ms = performance.now() - t0;
  engine.off('step', onStep);
  return { tokensPerSecond: tokens / (ms / 1000), ms, maxBusy };
}

for (const kind of kinds) {
  const model = kind === 'sllm'
    ? await SLLM.create({ svae: { preset: 'SVAE-768-H1', hidden: 768, heads: 12, ffn: 1536, layers: 1, dropout: 0 }, llm: config, tokenizer, seed: 1 })
    : await OPT.create(config, { tokenizer, seed: 1 });
  const engine = await Engine.create(model, { slots: 16 });
  const request: EngineRequest = kind === 'sllm'
    ? { prompt, temperature: 0, ignoreStop: true, maxSentences: sentences, sentenceTokens: lengths, maxTokens: total }
    : { prompt, temperature: 0, ignoreStop: true, maxTokens: total };
  await engine.submit(request).result;  // warm-up
  const one = await measure(engine, request, false, sequential);
  const batch = await measure(engine, request, true, requests);
  console.log(JSON.stringify({ kind, requests, sequential, tokensPerRequest: total, oneAtATime: one, concurrent: batch, gain: batch.tokensPerSecond / one.tokensPerSecond }));
  await engine.close();
  model.dispose();
}
