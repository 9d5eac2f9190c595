import { expectInteger, expectNumber, expectOptions } from '../validate.js';

/** The paper's schedule, every part configurable. */
export interface ScheduleOptions {
  /** Peak learning rate. */
  baseLr: number;
  /** Steps of linear warm-up. @default 5000 */
  warmupSteps?: number;
  /** Warm-up starts at baseLr × this. @default 1e-3 */
  warmupStartFactor?: number;
  /**
   * Steps from the peak to the minimum (PyTorch CosineAnnealingLR's T_max); past it the cosine
   * continues (rises again), as CosineAnnealingLR's closed form does. @default 20000
   */
  cosinePeriod?: number;
  /** The minimum, as a fraction of baseLr. @default 0 */
  minLrFactor?: number;
  /**
   * Schedule over wall time instead of steps (timedLearningRate): warm-up over `warmupSeconds`,
   * then a cosine that reaches the minimum at this many seconds of training, where the Trainer
   * stops; warmupSteps and cosinePeriod are then unused. @default undefined (a schedule over steps)
   */
  budgetSeconds?: number;
  /** With budgetSeconds: seconds of linear warm-up. @default 3% of budgetSeconds */
  warmupSeconds?: number;
}

/**
 * Learning rate at `step` (0-based): linear warm-up from `warmupStartFactor × baseLr` to
 * `baseLr` over `warmupSteps`, then cosine annealing with period `cosinePeriod`. Pure.
 * @example
 * ```ts
 * learningRate(0, { baseLr: 1e-3 });        // 1e-6
 * learningRate(5000, { baseLr: 1e-3 });     // 1e-3
 * learningRate(25000, { baseLr: 1e-3 });    // 0 (the bottom of the cosine)
 * ```
 */
export function learningRate(step: number, options: ScheduleOptions): number {
  expectInteger(step, 'step', 0);
  options = expectOptions(options);
  const base = expectNumber(options.baseLr, 'baseLr', 0);
  const warmup = expectInteger(options.warmupSteps ?? 5000, 'warmupSteps', 0);
  const start = expectNumber(options.warmupStartFactor ?? 1e-3, 'warmupStartFactor', 0, 1);
  const period = expectInteger(options.cosinePeriod ?? 20000, 'cosinePeriod', 1);
  const min = base * expectNumber(options.minLrFactor ?? 0, 'minLrFactor', 0, 1);
  if (step < warmup) return base * (start + (1 - start) * (step / warmup));
  const t = step - warmup;
  return min + ((base - min) * (1 + Math.cos((Math.PI * t) / period))) / 2;
}
