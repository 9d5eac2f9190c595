import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { EngineResult, StepInfo } from '../types.js';
import type { ServableEngine } from './engineSurface.js';

/** The server's Prometheus metrics (one registry per server, so several servers never clash). */
export interface ServerMetrics {
  readonly registry: Registry;
  /** A finished engine request: its queue wait, time to first output and duration. */
  observeResult(endpoint: string, result: EngineResult): void;
  /** An HTTP response: counted by route and status ('499': the client went away first). */
  countResponse(route: string, status: string): void;
  /** Stops listening to the engine. */
  detach(): void;
}

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Tokens/s is reported over this trailing window. */
const rateWindowMs = 10_000;

export function createMetrics(engine: ServableEngine, options: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  const slots = engine.stats().slots;
  const stats = () => engine.stats();
  const gauge = (name: string, help: string, read: () => number) => new Gauge({
    name, help, registers: [registry], collect() { this.set(read()); },
  });
  gauge('sentencevae_queue_length', 'Requests waiting for a free slot.', () => stats().queued);
  gauge('sentencevae_busy_slots', 'Slots generating now.', () => stats().busySlots);
  gauge('sentencevae_slots', 'Slots of the engine (its batch size).', () => stats().slots);
  gauge('sentencevae_max_queue', 'Capacity of the waiting queue.', () => stats().maxQueue);
  let peak = 0;
  gauge('sentencevae_batch_occupancy_peak', 'Most rows that took part in one engine step since the server started.', () => peak);
  // Integer buckets up to the slot count: the histogram shows how full each step's batch was.
  const occupancyBuckets = Array.from({ length: Math.min(slots, 64) }, (_, i) => i + 1);
  if (slots > 64) occupancyBuckets.push(slots);
  const occupancy = new Histogram({ name: 'sentencevae_batch_occupancy', help: 'Rows that took part in each engine step.', buckets: occupancyBuckets, registers: [registry] });
  const stepSeconds = new Histogram({ name: 'sentencevae_step_duration_seconds', help: 'Wall time of each engine step (admission prefill included).', buckets: seconds, registers: [registry] });
  const steps = new Counter({ name: 'sentencevae_engine_steps_total', help: 'Engine steps run.', registers: [registry] });
  const tokens = new Counter({ name: 'sentencevae_generated_tokens_total', help: 'Completion tokens generated, all requests together.', registers: [registry] });
  const recent: { at: number; tokens: number }[] = [];
  gauge('sentencevae_tokens_per_second', `Completion tokens per second over the last ${rateWindowMs / 1000} s.`, () => {
    const now = performance.now();
    while (recent.length > 0 && recent[0]!.at < now - rateWindowMs) recent.shift();
    return recent.reduce((n, r) => n + r.tokens, 0) / (rateWindowMs / 1000);
  });
  const firstOutput = new Histogram({
    name: 'sentencevae_time_to_first_output_seconds', help: 'From arrival to the first sentence (SLLM) or token (OPT), queue wait included.',
    labelNames: ['endpoint'], buckets: seconds, registers: [registry],
  });
  const queueWait = new Histogram({ name: 'sentencevae_queue_wait_seconds', help: 'From arrival to admission into a slot.', labelNames: ['endpoint'], buckets: seconds, registers: [registry] });
  const duration = new Histogram({ name: 'sentencevae_request_duration_seconds', help: 'From arrival to the end of the completion.', labelNames: ['endpoint', 'finish_reason'], buckets: seconds, registers: [registry] });
  const completionTokens = new Histogram({
    name: 'sentencevae_completion_tokens', help: 'Completion tokens per request.', labelNames: ['endpoint'], buckets: [1, 4, 16, 64, 256, 1024, 4096], registers: [registry],
  });
  const responses = new Counter({ name: 'sentencevae_http_requests_total', help: 'HTTP responses by route and status.', labelNames: ['route', 'status'], registers: [registry] });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const onStep = (s: StepInfo) => {
    peak = Math.max(peak, s.busySlots);
    occupancy.observe(s.busySlots);
    stepSeconds.observe(s.stepMs / 1000);
    steps.inc();
    if (s.newTokens > 0) {
      tokens.inc(s.newTokens);
      recent.push({ at: performance.now(), tokens: s.newTokens });
      if (recent.length > 100_000) recent.splice(0, recent.length - 100_000);
    }
  };
  engine.on('step', onStep);
  return {
    registry,
    observeResult(endpoint, r) {
      queueWait.observe({ endpoint }, r.queuedMs / 1000);
      if (r.firstChunkMs !== null) firstOutput.observe({ endpoint }, r.firstChunkMs / 1000);
      duration.observe({ endpoint, finish_reason: r.finishReason }, r.totalMs / 1000);
      completionTokens.observe({ endpoint }, r.completionTokens);
    },
    countResponse(route, status) {
      responses.inc({ route, status });
    },
    detach() {
      engine.off('step', onStep);
    },
  };
}
