/**
 * How long a call keeps the event loop from turning: a timer ticker (every 1 ms) records the
 * longest gap between its ticks while `fn` runs, and `monitorEventLoopDelay` the longest delay
 * of its own timer. A timer rather than a setImmediate spin: a spin would take one of the
 * cores the native work runs on and distort what it measures.
 *
 * On a crowded machine a gap also contains the time the main thread waited for a core while
 * it had nothing to do (measured: 60-90 ms gaps with the main thread idle, load 17 on 2 cores).
 * `maxBusyMs` separates the two: between two ticks, the event loop's own "active" time
 * (performance.eventLoopUtilization: time outside the poll for I/O) is what the main thread
 * spent running code; waiting in the poll, even late, is not counted.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopBlock<T> {
  result: T;
  /** Wall time of the call, ms. */
  wallMs: number;
  /** Longest gap between two 1 ms ticks, ms (the ticker's own 1 ms subtracted). */
  maxGapMs: number;
  /** monitorEventLoopDelay's max, ms. */
  histogramMaxMs: number;
  /** Longest stretch between two ticks that the loop spent running code (not polling), ms. */
  maxBusyMs: number;
}

export async function measureLoopBlock<T>(fn: () => Promise<T>): Promise<LoopBlock<T>> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let maxGap = 0;
  let maxBusy = 0;
  let last = performance.now();
  let lastActive = performance.eventLoopUtilization().active;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const now = performance.now();
    const active = performance.eventLoopUtilization().active;
    maxGap = Math.max(maxGap, now - last - 1);
    maxBusy = Math.max(maxBusy, active - lastActive);
    last = now;
    lastActive = active;
    timer = setTimeout(tick, 1);
  };
  // Let the ticker settle before the call starts.
  await new Promise<void>((resolve) => setTimeout(resolve, 5));
  histogram.enable();
  timer = setTimeout(tick, 1);
  last = performance.now();
  lastActive = performance.eventLoopUtilization().active;
  const started = performance.now();
  try {
    const result = await fn();
    const wallMs = performance.now() - started;
    // One more tick: a block at the very end of fn is only seen by the next tick.
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
    return { result, wallMs, maxGapMs: Math.max(0, maxGap), histogramMaxMs: histogram.max / 1e6, maxBusyMs: maxBusy };
  } finally {
    clearTimeout(timer);
    histogram.disable();
  }
}
