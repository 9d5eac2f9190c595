import type { DistributedContext } from '../distributed/DistributedContext.js';
import { callAsync, callSync } from '../native/call.js';
import type { NativeTrainable } from '../native/contract.js';
import { Tensor } from '../tensor/Tensor.js';
import type { AppliedStep, TrainingSetup, TrainingSnapshot } from './TrainableModel.js';

/**
 * The TrainableModel methods every native model implements the same way (optimizer, EMA,
 * snapshots, weights by name), over the shared native surface (native/bindings/trainable_bindings.h).
 * A model class holds one and forwards to it; `live` throws DisposedError once disposed.
 */
export class NativeTraining {
  readonly #live: () => NativeTrainable;
  #hasEma = false;

  constructor(live: () => NativeTrainable) {
    this.#live = live;
  }

  async configure(setup: TrainingSetup, seed: number | null): Promise<void> {
    const native = this.#live();
    await callAsync(() => native.configureTraining(setup, seed));
    this.#hasEma = setup.emaDecay > 0;
  }

  applyStep(options: { lr: number; clip: number }): Promise<AppliedStep> {
    const native = this.#live();
    return callAsync(() => native.applyStep(options));
  }

  /** Averages the accumulated gradients over `group`'s ranks; sums `values` over them. */
  reduceGradients(group: DistributedContext, values: Float64Array): Promise<{ values: Float64Array; seconds: number }> {
    const native = this.#live();
    const g = group.native;
    return callAsync(() => native.reduceGradients(g, values));
  }

  async snapshot(): Promise<TrainingSnapshot> {
    const native = this.#live();
    const s = await callAsync(() => native.trainingState());
    return { tensors: new Map(Object.entries(s.tensors).map(([k, v]) => [k, new Tensor(v)])), adamStep: s.adamStep, lossScale: s.lossScale };
  }

  async restore(snapshot: TrainingSnapshot): Promise<void> {
    const native = this.#live();
    const tensors = Object.fromEntries([...snapshot.tensors].map(([k, t]) => [k, t.native]));
    await callAsync(() => native.loadTrainingState(tensors, snapshot.adamStep, snapshot.lossScale));
  }

  /** Runs `fn` with the EMA weights swapped in (when training keeps an EMA), then swaps back. */
  async withEma<T>(fn: () => Promise<T>): Promise<T> {
    const native = this.#live();
    if (!this.#hasEma) return fn();
    await callAsync(() => native.swapEma());
    try {
      return await fn();
    } finally {
      await callAsync(() => native.swapEma());
    }
  }

  /** The weights by name (views of the live parameters). */
  namedTensors(): Map<string, Tensor> {
    const raw = callSync(() => this.#live().namedTensors());
    return new Map(Object.entries(raw).map(([k, v]) => [k, new Tensor(v)]));
  }

  /** Replaces weights; `partial` keeps those not given. Drops optimizer state. */
  async loadNamedTensors(tensors: Map<string, Tensor>, options: { partial?: boolean } = {}): Promise<void> {
    const native = this.#live();
    const byName = Object.fromEntries([...tensors].map(([k, t]) => [k, t.native]));
    await callAsync(() => native.loadTensors(byName, options));
  }
}
