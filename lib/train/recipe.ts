import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { expectInteger, expectOneOf } from '../validate.js';
import type { ScheduleOptions } from './schedule.js';

/**
 * A named set of training defaults. 'default' is ours; 'paper' is the SentenceVAE paper's
 * ("Hyperparameters", §4). Every difference between them, and why ours differ, is listed in
 * docs/training.md. Explicit options always win over a recipe.
 */
export type RecipeName = 'default' | 'paper';
export const recipeNames: readonly RecipeName[] = ['default', 'paper'];

/** The paper's numbers, as published (learning rates per sample: "per batch per card" × batch). */
export const paperRecipe = Object.freeze({
  /** SentenceVAE: 128 sentences per card, base LR 1e-7 per sentence, 300K iterations. */
  svae: Object.freeze({ batchPerDevice: 128, lrPerSample: 1e-7, maxSteps: 300_000 }),
  /** SLLM: 1 paragraph per card, base LR 1e-6 per paragraph, 1.6M iterations. */
  sllm: Object.freeze({ batchPerDevice: 1, lrPerSample: 1e-6, maxSteps: 1_600_000 }),
  /** Linear warm-up over 5K iterations from 1/1000 of the base LR, then cosine with a 20K period. */
  warmupSteps: 5000,
  warmupStartFactor: 1e-3,
  cosinePeriod: 20_000,
  weightDecay: 0.01,
  clip: 1,
  gamma: 2,
  /** Eq. 5: the focal loss is a sum over a sentence's tokens. */
  lossReduction: 'sentence' as const,
  /** The paper uses an EMA without giving its decay; the reference code's. */
  emaDecay: 0.9998,
  /** "AMP enabled": PyTorch's autocast with its default float16 and loss scaling, on CUDA. */
  cudaAmp: 'fp16' as const,
  /** "The classic Transformer" (PyTorch's nn.Transformer*Layer: post-LN, ReLU, dropout 0.1). */
  norm: 'post' as const,
});

export type RecipeModelKind = 'svae' | 'sllm';

/**
 * The paper's base learning rate for a global batch (items per update over all devices and
 * accumulation steps): its per-card-per-batch rate scaled linearly by the batch.
 * @example
 * ```ts
 * paperLearningRate('svae', 128 * 8); // 1.024e-4: 8 cards of 128 sentences
 * ```
 */
export function paperLearningRate(kind: RecipeModelKind, globalBatch: number): number {
  const k = expectOneOf(kind, 'kind', ['svae', 'sllm'] as const);
  return paperRecipe[k].lrPerSample * expectInteger(globalBatch, 'globalBatch', 1);
}

/** Trainer settings a recipe fills in (those the caller did not give). */
export interface RecipeTrainerDefaults {
  maxSteps?: number;
  schedule: Partial<ScheduleOptions>;
  gamma?: number;
  clip?: number;
  weightDecay?: number;
  emaDecay?: number;
  amp?: 'off' | 'bf16' | 'fp16';
  lossReduction?: 'token' | 'sentence';
}

/**
 * What `recipe` sets in the Trainer for a model of `kind` on `device` with `globalBatch` items
 * per update ('default': nothing beyond the Trainer's own defaults).
 * @example
 * ```ts
 * recipeTrainerDefaults('paper', { kind: 'svae', globalBatch: 128, device: 'cpu' }).schedule;
 * // { baseLr: 1.28e-5, warmupSteps: 5000, warmupStartFactor: 0.001, cosinePeriod: 20000 }
 * ```
 */
export function recipeTrainerDefaults(recipe: RecipeName, context: { kind: string | undefined; globalBatch?: number; device: string }): RecipeTrainerDefaults {
  expectOneOf(recipe, 'recipe', recipeNames);
  if (recipe === 'default') return { schedule: {} };
  const kind = context.kind === 'svae' || context.kind === 'sllm' ? context.kind : undefined;
  const p = paperRecipe;
  const schedule: Partial<ScheduleOptions> = { warmupSteps: p.warmupSteps, warmupStartFactor: p.warmupStartFactor, cosinePeriod: p.cosinePeriod };
  if (kind) schedule.baseLr = paperLearningRate(kind, context.globalBatch ?? p[kind].batchPerDevice);
  else if (context.globalBatch !== undefined) {
    throw new InvalidArgumentError(`recipe 'paper' gives learning rates for a SentenceVAE or an SLLM, not for ${context.kind ? `a model of kind '${context.kind}'` : 'this model'}: pass schedule.baseLr`);
  }
  return {
    ...(kind ? { maxSteps: p[kind].maxSteps } : {}),
    schedule,
    gamma: p.gamma,
    clip: p.clip,
    weightDecay: p.weightDecay,
    emaDecay: p.emaDecay,
    amp: context.device.startsWith('cuda') ? p.cudaAmp : 'off',
    lossReduction: p.lossReduction,
  };
}
