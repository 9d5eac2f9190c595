import { expectNumber } from '../validate.js';
import { learningRate, type ScheduleOptions } from './schedule.js';

/**
 * A learning-rate schedule over wall time: linear warm-up, then a cosine that reaches its minimum
 * exactly when the time budget is spent. The rate depends on elapsed training time, not on a
 * step count estimated in advance: a run sized by a throughput probe ends early or late when the
 * speed drifts (the 15-minute SentenceVAE recipe stopped at 684 s), while this one always uses its
 * whole budget and always ends at the bottom of its cosine.
 */
export interface TimedScheduleOptions {
  /** Peak learning rate. */
  baseLr: number;
  /** Wall time of the whole run in seconds (the Trainer stops there). */
  budgetSeconds: number;
  /** Seconds of linear warm-up. @default 3% of budgetSeconds */
  warmupSeconds?: number;
  /** Warm-up starts at baseLr × this. @default 1e-3 */
  warmupStartFactor?: number;
  /** The minimum at the end of the budget, as a fraction of baseLr. @default 0 */
  minLrFactor?: number;
}

/**
 * Learning rate after `elapsedSeconds` of training: warm-up from `warmupStartFactor × baseLr` to
 * `baseLr` over `warmupSeconds`, then a half cosine down to `minLrFactor × baseLr` at
 * `budgetSeconds`, and that minimum after it. Pure: the caller supplies the clock.
 * @example
 * ```ts
 * timedLearningRate(0, { baseLr: 1e-3, budgetSeconds: 900 });    // 1e-6
 * timedLearningRate(27, { baseLr: 1e-3, budgetSeconds: 900 });   // 1e-3 (end of warm-up)
 * timedLearningRate(463.5, { baseLr: 1e-3, budgetSeconds: 900 }); // 5e-4 (half way down)
 * timedLearningRate(900, { baseLr: 1e-3, budgetSeconds: 900 });  // 0
 * ```
 */
export function timedLearningRate(elapsedSeconds: number, options: TimedScheduleOptions): number {
  const t = expectNumber(elapsedSeconds, 'elapsedSeconds', 0);
  const base = expectNumber(options.baseLr, 'baseLr', 0);
  const budget = expectNumber(options.budgetSeconds, 'budgetSeconds', Number.MIN_VALUE);
  const warmup = expectNumber(options.warmupSeconds ?? 0.03 * budget, 'warmupSeconds', 0, budget);
  const start = expectNumber(options.warmupStartFactor ?? 1e-3, 'warmupStartFactor', 0, 1);
  const min = base * expectNumber(options.minLrFactor ?? 0, 'minLrFactor', 0, 1);
  if (t < warmup) return base * (start + (1 - start) * (t / warmup));
  if (warmup >= budget) return base;
  const progress = Math.min(1, (t - warmup) / (budget - warmup));
  return min + ((base - min) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/**
 * The Trainer's rate: over wall time when `options.budgetSeconds` is set (timedLearningRate of
 * `elapsedSeconds`), else over steps (learningRate of `step`). Pure.
 * @example
 * ```ts
 * scheduledLearningRate(10, 450, { baseLr: 1e-3, budgetSeconds: 900, warmupSeconds: 0 }); // 5e-4
 * ```
 */
export function scheduledLearningRate(step: number, elapsedSeconds: number, options: ScheduleOptions): number {
  if (options.budgetSeconds === undefined) return learningRate(step, options);
  return timedLearningRate(elapsedSeconds, {
    baseLr: options.baseLr, budgetSeconds: options.budgetSeconds,
    ...(options.warmupSeconds !== undefined ? { warmupSeconds: options.warmupSeconds } : {}),
    ...(options.warmupStartFactor !== undefined ? { warmupStartFactor: options.warmupStartFactor } : {}),
    ...(options.minLrFactor !== undefined ? { minLrFactor: options.minLrFactor } : {}),
  });
}
