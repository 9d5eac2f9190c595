import { Engine, OPT, SLLM, Tokenizer, type EngineHandle, type EngineOptions, type EngineRequest, type EngineResult, type StepInfo } from '../../lib/index.js';
import { testDevice } from '../helpers/device.js';

/** A tiny SLLM with random weights (the 4k-token tokenizer keeps it small). */
export const engineSllm = (seed = 3) => SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 2 }, device: testDevice, seed });

/** A tiny OPT with random weights over the same 4k-token tokenizer. */
export async function engineOpt(seed = 3): Promise<OPT> {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  return OPT.create({
    vocabSize: Math.ceil(tokenizer.vocabSize / 8) * 8, hidden: 64, ffn: 256, layers: 2, heads: 4, maxPositions: 2048, wordEmbedProjDim: 64,
    preNorm: true, finalNorm: true, padId: tokenizer.padId, bosId: tokenizer.bosId, eosId: tokenizer.eosId,
  }, { tokenizer, device: testDevice, seed });
}

/** Prompts of different lengths (one to four sentences). */
export const prompts = [
  'The jury met at noon.',
  'It said the vote was fine. Then it left early, and nobody cared.',
  'Yes.',
  'The committee said the new building would open in the spring. Its members were pleased; the mayor was not. He asked why.',
  'Nobody knew the answer, but everyone had an opinion.',
  'She walked home. It was late. The streets were empty. A dog barked twice.',
];

/** A request's result and the chunks it streamed (checked to add up to the result's text). */
export interface Outcome {
  result: EngineResult;
  chunks: string[];
}

export async function collect(handle: EngineHandle): Promise<Outcome> {
  const chunks: string[] = [];
  for await (const c of handle) chunks.push(c.text);
  return { result: await handle.result, chunks };
}

/** Each request alone: submitted only once the previous one ended. */
export async function oneAtATime(engine: Engine, requests: readonly EngineRequest[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const r of requests) out.push(await collect(engine.submit(r)));
  return out;
}

/** Records every StepInfo the engine emits. */
export function recordSteps(engine: Engine): StepInfo[] {
  const steps: StepInfo[] = [];
  engine.on('step', (s: StepInfo) => steps.push(s));
  return steps;
}

/** A fresh engine over `model` (closed by the caller). */
export const engineOver = (model: SLLM | OPT, options: EngineOptions = {}) => Engine.create(model, options);

/** The next 'step' event. */
export const nextStep = (engine: Engine) => new Promise<StepInfo>((resolve) => engine.once('step', resolve));

/** What must be equal between two runs of one greedy request. */
export const essence = (o: Outcome) => ({ text: o.result.text, finishReason: o.result.finishReason, completionTokens: o.result.completionTokens, promptTokens: o.result.promptTokens });
