/**
 * The CLI's default warm-up: 10% of the run, at most 500 updates. Long runs keep the usual 500
 * (train-vae's 10000 and train-sllm's 5000 default steps give exactly 500); a short run
 * (`--max-steps 40`) warms up over 4 updates instead of spending all of it below the peak
 * learning rate. A run bounded only by --max-minutes uses its --max-steps for this rule.
 */
export const warmupFraction = 0.1;
export const maxDefaultWarmup = 500;

export function defaultWarmup(maxSteps: number): number {
  return Math.min(maxDefaultWarmup, Math.ceil(warmupFraction * maxSteps));
}
