import type { TrainingFacts } from './trainingFacts.js';
import type { DataPosition } from '../data/position.js';
import type { DistributedContext } from '../distributed/DistributedContext.js';
import type { Tensor } from '../tensor/Tensor.js';

/** What the Trainer needs from a model (SentenceVAE now, the SLLM later). */
export interface TrainingSetup {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 0: no EMA. */
  emaDecay: number;
  amp: 'off' | 'bf16' | 'fp16';
  /**
   * How the focal loss reduces for the gradient: 'token' = mean over target tokens; 'sentence' =
   * summed over each sentence's tokens, mean over sentences (the paper's Eq. 5). Reported losses
   * stay per-token means either way. @default 'token'
   */
  lossReduction?: 'token' | 'sentence';
}

export interface MicroStep {
  loss: number;
  ce: number;
  tokens: number;
  correct: number;
}

export interface AppliedStep {
  gradNorm: number;
  skipped: boolean;
  lossScale: number;
}

export interface TrainingSnapshot {
  /** Optimizer moments, EMA weights, RNG state. */
  tensors: Map<string, Tensor>;
  adamStep: number;
  lossScale: number;
}

export interface EvalMetrics {
  loss: number;
  ppl: number;
  tokenAccuracy: number;
  exactMatch: number;
}

export interface TrainableModel<Batch, Data> {
  readonly device: string;
  /** What the model is, for recipes whose settings depend on it (the paper's learning rates). */
  readonly kind?: 'svae' | 'sllm' | 'opt';
  configureTraining(setup: TrainingSetup, seed: number | null): Promise<void>;
  accumulate(batch: Batch, options: { gamma: number; scale: number }): Promise<MicroStep>;
  applyStep(options: { lr: number; clip: number }): Promise<AppliedStep>;
  trainingSnapshot(): Promise<TrainingSnapshot>;
  restoreTraining(snapshot: TrainingSnapshot): Promise<void>;
  /** Runs `fn` with the EMA weights in place (or the live weights when there is no EMA). */
  withEma<T>(fn: () => Promise<T>): Promise<T>;
  evaluate(data: Data, options: { gamma: number }): Promise<EvalMetrics>;
  namedTensors(): Map<string, Tensor>;
  loadNamedTensors(tensors: Map<string, Tensor>): Promise<void>;
  /**
   * Distributed runs: averages the accumulated gradients over the group's ranks and sums
   * `values` over them (one call per update, after the last micro-batch). Native models have it.
   */
  reduceGradients?(group: DistributedContext, values: Float64Array): Promise<{ values: Float64Array; seconds: number }>;
  /** Writes a loadable model folder (`training`: the run behind the weights, for a model card). */
  save(dir: string, options?: { training?: TrainingFacts }): Promise<void>;
}

/** Batches for training: take one, and report/restore where the stream is. */
export interface BatchSource<Batch> {
  next(): Batch;
  readonly position: DataPosition;
  restore(position: DataPosition): void;
  /**
   * Distributed runs: a source over the same global batches (same cursor, same positions) that
   * yields only rank `rank`'s slice of each (`dataset.batches()` sources have it).
   */
  shard?(rank: number, worldSize: number): BatchSource<Batch>;
}
