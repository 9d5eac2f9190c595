import { rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { TrainingError } from '../errors/TrainingError.js';
import { expectInteger, expectNumber, expectOneOf, expectString, invalid } from '../validate.js';
import { readCheckpoint, type TrainerState, writeCheckpoint } from './checkpoint.js';
import { writeCurves } from './curves.js';
import { MetricsLog } from './metrics.js';
import { Progress } from './progress.js';
import { cleanStaleFiles, lockRunFolder } from './runFolder.js';
import { paperRecipe, type RecipeName, recipeNames, recipeTrainerDefaults } from './recipe.js';
import { learningRate, type ScheduleOptions } from './schedule.js';
import { scheduledLearningRate } from './timedSchedule.js';
import type { BatchSource, EvalMetrics, TrainableModel, TrainingSetup } from './TrainableModel.js';

export interface TrainerOptions {
  /** Folder for checkpoint.safetensors, metrics.jsonl, curves.svg, best/ and final/. */
  out: string;
  /** Optimizer updates to run (in total, counting those before a resume). Required unless a recipe gives it (paper: 300K SentenceVAE, 1.6M SLLM). */
  maxSteps?: number;
  /** Learning-rate schedule (warm-up + cosine); `baseLr` is required unless a recipe gives it. */
  schedule?: Partial<ScheduleOptions>;
  /**
   * Named defaults for everything not given here: 'paper' is the SentenceVAE paper's recipe
   * (LR = its per-item rate × `globalBatch`, 5K warm-up from 1e-3, cosine period 20K, focal loss
   * summed per sentence, AMP on CUDA); every difference from 'default' is in docs/training.md.
   * @default 'default'
   */
  recipe?: RecipeName;
  /**
   * Items per update over all devices and accumulation steps (sentences for a SentenceVAE,
   * paragraphs for an SLLM): the paper's learning rate scales with it. The Trainer does not
   * batch: make your batches match. @default the recipe's batch per device × accumulation
   */
  globalBatch?: number;
  /**
   * Focal-loss reduction for the gradient: 'token' (mean over target tokens) or 'sentence'
   * (summed over each sentence's tokens, mean over sentences: the paper's Eq. 5). Reported
   * losses are per-token means either way. @default 'token' ('sentence' with recipe 'paper')
   */
  lossReduction?: 'token' | 'sentence';
  /** Micro-batches per update (gradient accumulation). @default 1 */
  accumulation?: number;
  /** Focal loss γ. @default 2 */
  gamma?: number;
  /** Global gradient L2 norm clip (0: off). @default 1 */
  clip?: number;
  /** AdamW weight decay (tensors with ≥ 2 dims). @default 0.01 */
  weightDecay?: number;
  /** AdamW betas. @default [0.9, 0.999] */
  betas?: [number, number];
  /** AdamW epsilon. @default 1e-8 */
  eps?: number;
  /** EMA decay of the weights (0: none). Evaluation and exports use the EMA weights. @default 0.9998 */
  emaDecay?: number;
  /** Mixed precision on CUDA: 'bf16' autocast, or 'fp16' with dynamic loss scaling. @default 'off' */
  amp?: 'off' | 'bf16' | 'fp16';
  /** Seed of dropout and of the data order. @default 0 */
  seed?: number;
  /** Evaluate (EMA weights) every N updates; 0: only at the end. @default 1000 */
  evalEvery?: number;
  /** Write a checkpoint every N updates. @default evalEvery (or 1000) */
  checkpointEvery?: number;
  /** A metrics line every N updates. @default 10 */
  logEvery?: number;
  /** Stop with a TrainingError after this many non-finite steps in a row. @default 20 */
  maxConsecutiveSkips?: number;
  /** Continue from out/checkpoint.safetensors when it exists. @default false */
  resume?: boolean;
  /** Stop (with a checkpoint) after this much wall time of this run, in seconds. @default Infinity */
  maxSeconds?: number;
  /** Show progress on stderr (a bar on a TTY, lines otherwise). @default true */
  progress?: boolean;
  /**
   * The wall clock in milliseconds (tests inject a deterministic one): it drives maxSeconds, a
   * schedule over time (schedule.budgetSeconds) and the throughput figures. @default performance.now
   */
  clock?: () => number;
}

export interface StepReport {
  step: number;
  /** Target tokens in this update. */
  tokens: number;
  loss: number;
  ce: number;
  lr: number;
  gradNorm: number;
  tokenAccuracy: number;
  tokensPerSecond: number;
  skipped: boolean;
  elapsedSeconds: number;
}

export interface EvalReport extends EvalMetrics {
  step: number;
  best: boolean;
}

export interface RunOptions<Batch, Data> {
  /** Training batches (e.g. `dataset.batches({ batchSize, seed })`). */
  batches: BatchSource<Batch>;
  /** Held-out data for evaluation. */
  validation?: Data;
  /** Stops cleanly (after writing a checkpoint) when aborted. */
  signal?: AbortSignal;
  onStep?: (report: StepReport) => void;
  onEval?: (report: EvalReport) => void;
}

export interface RunResult {
  step: number;
  /** Why the run ended. */
  stopped: 'max-steps' | 'max-seconds' | 'aborted';
  skippedSteps: number;
  elapsedSeconds: number;
  lastEval?: EvalReport;
  best?: { value: number; step: number };
}

/**
 * The training loop: each update is one or more native calls (forward + backward per
 * micro-batch, then clip + AdamW + EMA); everything around it — schedule, evaluation,
 * checkpoints, metrics, curves, resume — lives here.
 *
 * @example
 * ```ts
 * const vae = await SentenceVAE.create({ preset: 'small' });
 * const train = await SentenceDataset.fromCorpus('brown', vae.tokenizer, { split: 'train' });
 * const held = await SentenceDataset.fromCorpus('brown', vae.tokenizer, { split: 'validation' });
 * const trainer = new Trainer(vae, { out: 'runs/svae', maxSteps: 5000, schedule: { baseLr: 1e-3, warmupSteps: 200 } });
 * await trainer.run({ batches: train.batches({ batchSize: 64, seed: 1 }), validation: held });
 *
 * // The paper's recipe (docs/training.md): LR 1e-7 × 128 sentences, 5K warm-up, cosine period
 * // 20K, focal loss summed per sentence, 300K updates; explicit options still win.
 * const paper = await SentenceVAE.create({ preset: 'SVAE-768-H1', recipe: 'paper' }); // post-LN
 * await new Trainer(paper, { out: 'runs/paper', recipe: 'paper', globalBatch: 128 })
 *   .run({ batches: train.batches({ batchSize: 128, seed: 1 }), validation: held });
 * ```
 */
export class Trainer<Batch, Data> {
  readonly model: TrainableModel<Batch, Data>;
  readonly options: Readonly<Required<Omit<TrainerOptions, 'schedule' | 'globalBatch'>>> & { schedule: ScheduleOptions; globalBatch?: number };

  constructor(model: TrainableModel<Batch, Data>, options: TrainerOptions) {
    if (model === null || typeof model !== 'object' || typeof (model as Partial<TrainableModel<Batch, Data>>).accumulate !== 'function') {
      invalid('a model (SentenceVAE, OPT or SLLM)', 'model', model);
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options)) invalid('options object ({ out, maxSteps, schedule })', 'options', options);
    expectString(options.out, 'out');
    // The schedule may be left out only when a recipe supplies it (learningRate() below checks the result).
    const scheduleGiven = options.schedule !== undefined || (options.recipe !== undefined && options.recipe !== 'default');
    if (!scheduleGiven || (options.schedule !== undefined && (options.schedule === null || typeof options.schedule !== 'object' || Array.isArray(options.schedule)))) {
      invalid('schedule object ({ baseLr, warmupSteps?, ... })', 'schedule', options.schedule);
    }
    this.model = model;
    const evalEvery = expectInteger(options.evalEvery ?? 1000, 'evalEvery', 0);
    const recipe = expectOneOf(options.recipe ?? 'default', 'recipe', recipeNames);
    const accumulation = expectInteger(options.accumulation ?? 1, 'accumulation', 1);
    const globalBatch = options.globalBatch === undefined ? undefined : expectInteger(options.globalBatch, 'globalBatch', 1);
    // The recipe fills in what the caller left out (explicit options always win).
    const r = recipeTrainerDefaults(recipe, {
      kind: model.kind, device: model.device,
      ...(globalBatch !== undefined ? { globalBatch } : model.kind === 'svae' || model.kind === 'sllm' ? { globalBatch: recipeBatch(model.kind) * accumulation } : {}),
    });
    this.options = {
      out: options.out,
      // A schedule over wall time ends on its budget: no step count is needed.
      maxSteps: expectInteger(options.maxSteps ?? r.maxSteps ?? (options.schedule?.budgetSeconds !== undefined ? Number.MAX_SAFE_INTEGER : undefined), 'maxSteps', 1),
      schedule: { ...r.schedule, ...options.schedule } as ScheduleOptions,
      recipe,
      ...(globalBatch !== undefined ? { globalBatch } : {}),
      lossReduction: expectOneOf(options.lossReduction ?? r.lossReduction ?? 'token', 'lossReduction', ['token', 'sentence'] as const),
      accumulation,
      gamma: expectNumber(options.gamma ?? r.gamma ?? 2, 'gamma', 0),
      clip: expectNumber(options.clip ?? r.clip ?? 1, 'clip', 0),
      weightDecay: expectNumber(options.weightDecay ?? r.weightDecay ?? 0.01, 'weightDecay', 0),
      betas: options.betas ?? [0.9, 0.999],
      eps: expectNumber(options.eps ?? 1e-8, 'eps', 0),
      emaDecay: expectNumber(options.emaDecay ?? r.emaDecay ?? 0.9998, 'emaDecay', 0, 0.999999999),
      amp: expectOneOf(options.amp ?? r.amp ?? 'off', 'amp', ['off', 'bf16', 'fp16'] as const),
      seed: expectInteger(options.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER),
      evalEvery,
      checkpointEvery: expectInteger(options.checkpointEvery ?? (evalEvery || 1000), 'checkpointEvery', 1),
      logEvery: expectInteger(options.logEvery ?? 10, 'logEvery', 1),
      maxConsecutiveSkips: expectInteger(options.maxConsecutiveSkips ?? 20, 'maxConsecutiveSkips', 1),
      resume: options.resume ?? false,
      maxSeconds: options.maxSeconds === undefined || options.maxSeconds === Infinity ? Infinity : expectNumber(options.maxSeconds, 'maxSeconds', 0),
      progress: options.progress ?? true,
      clock: options.clock ?? (() => performance.now()),
    };
    if (typeof this.options.clock !== 'function') invalid('function returning milliseconds', 'clock', this.options.clock);
    if (recipe === 'paper' && this.options.schedule.baseLr === undefined) {
      throw new InvalidArgumentError(`recipe 'paper' gives learning rates for a SentenceVAE or an SLLM, not for ${model.kind ? `a model of kind '${model.kind}'` : 'this model'}: pass schedule.baseLr`);
    }
    learningRate(0, this.options.schedule); // validates the schedule now
    scheduledLearningRate(0, 0, this.options.schedule);
  }

  #setup(): TrainingSetup {
    const o = this.options;
    return { beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, emaDecay: o.emaDecay, amp: o.amp, lossReduction: o.lossReduction };
  }

  /**
   * Runs the training. Before the first step: the validation data must not be empty, and the run
   * folder is locked for this process (a second writer gets a RunLockedError naming the holder's
   * pid; a lock left by a dead process is taken over) and cleared of the temporaries an
   * interrupted run left. The lock is released when the run ends, however it ends.
   */
  async run(run: RunOptions<Batch, Data>): Promise<RunResult> {
    const size = Array.isArray(run.validation) ? run.validation.length : (run.validation as { size?: unknown } | undefined)?.size;
    if (run.validation !== undefined && size === 0) {
      throw new InvalidArgumentError('Expected non-empty data for validation but received 0 items (omit validation to train without evaluation)');
    }
    const lock = await lockRunFolder(this.options.out);
    try {
      const cleaned = await cleanStaleFiles(this.options.out);
      if (cleaned.length > 0 && this.options.progress) process.stderr.write(`[trainer] cleaned up after an interrupted run in ${this.options.out}: ${cleaned.join(', ')}\n`);
      return await this.#run(run);
    } finally {
      await lock.release();
    }
  }

  async #run(run: RunOptions<Batch, Data>): Promise<RunResult> {
    const o = this.options;
    const metrics = new MetricsLog(join(o.out, 'metrics.jsonl'));
    const progress = new Progress(process.stderr, o.progress ? undefined : false);
    const quiet = !o.progress;
    let state: TrainerState = {
      format: 1, step: 0, position: run.batches.position, tokensSeen: 0, skippedSteps: 0, consecutiveSkips: 0,
      elapsedSeconds: 0, best: null, adamStep: 0, lossScale: 1,
    };

    const checkpoint = o.resume ? await readCheckpoint(o.out) : undefined;
    if (checkpoint) {
      await this.model.loadNamedTensors(checkpoint.model);
      await this.model.configureTraining(this.#setup(), null);
      await this.model.restoreTraining(checkpoint.snapshot);
      for (const t of [...checkpoint.model.values(), ...checkpoint.snapshot.tensors.values()]) t.dispose();
      state = checkpoint.state;
      run.batches.restore(state.position);
      await metrics.truncateAfter(state.step);
      if (!quiet) progress.log(`resumed from ${join(o.out, 'checkpoint.safetensors')} at step ${state.step}`);
    } else {
      await this.model.configureTraining(this.#setup(), o.seed);
      if (!o.resume || !existsSync(metrics.path)) await metrics.truncateAfter(-1);
    }
    let lastCheckpointStep: number | undefined = checkpoint ? state.step : undefined;

    const saveCheckpoint = async () => {
      const snapshot = await this.model.trainingSnapshot();
      const weights = this.model.namedTensors();
      try {
        state.position = run.batches.position;
        state.adamStep = snapshot.adamStep;
        state.lossScale = snapshot.lossScale;
        await writeCheckpoint(o.out, weights, snapshot, state);
        lastCheckpointStep = state.step;
      } finally {
        for (const t of [...weights.values(), ...snapshot.tensors.values()]) t.dispose();
      }
    };

    const evaluate = async (): Promise<EvalReport | undefined> => {
      if (run.validation === undefined) return undefined;
      const m = await this.model.withEma(() => this.model.evaluate(run.validation as Data, { gamma: o.gamma }));
      const better = state.best === null || m.loss < state.best.value;
      if (better) {
        state.best = { value: m.loss, step: state.step };
        await this.model.withEma(() => exportModel(this.model, join(o.out, 'best')));
      }
      const report: EvalReport = { ...m, step: state.step, best: better };
      // Models that report a stop head (SLLM) get its metrics in the log too.
      const stop: Record<string, number> = {};
      for (const k of ['stopAccuracy', 'stopBaseRate', 'stopPrecision', 'stopRecall'] as const) {
        const v = (m as unknown as Record<string, unknown>)[k];
        if (typeof v === 'number') stop[k] = v;
      }
      await metrics.append({ type: 'eval', step: state.step, loss: m.loss, ppl: m.ppl, tokenAccuracy: m.tokenAccuracy, exactMatch: m.exactMatch, ...stop });
      await writeCurves(join(o.out, 'curves.svg'), await metrics.read(), `training (${o.out})`);
      run.onEval?.(report);
      if (!quiet) progress.log(`eval @ ${state.step}: loss ${m.loss.toFixed(4)}, PPL ${m.ppl.toFixed(3)}, token accuracy ${(100 * m.tokenAccuracy).toFixed(2)}%, exact ${(100 * m.exactMatch).toFixed(2)}%${better ? ' (best)' : ''}`);
      return report;
    };

    // Wall time: what earlier runs of this training took (from the checkpoint) + this run's.
    const started = o.clock();
    const carried = state.elapsedSeconds;
    const sessionSeconds = () => (o.clock() - started) / 1000;
    const elapsed = () => carried + sessionSeconds();
    const sessionStartStep = state.step;
    let windowTokens = 0;
    let windowStart = o.clock();
    let tokensPerSecond = 0;
    let stopped: RunResult['stopped'] = 'max-steps';
    let lastEval: EvalReport | undefined;
    // Metrics lines report the token-weighted mean of the window since the last line: single
    // batches are noisy (length bucketing makes batches of short sentences nearly free).
    const window = { loss: 0, ce: 0, correct: 0, tokens: 0, gradNorm: 0, updates: 0 };

    while (state.step < o.maxSteps) {
      if (run.signal?.aborted) {
        stopped = 'aborted';
        break;
      }
      if (sessionSeconds() >= o.maxSeconds || (o.schedule.budgetSeconds !== undefined && elapsed() >= o.schedule.budgetSeconds)) {
        stopped = 'max-seconds';
        break;
      }
      let loss = 0, ce = 0, tokens = 0, correct = 0;
      for (let k = 0; k < o.accumulation; k++) {
        const batch = run.batches.next();
        const r = await this.model.accumulate(batch, { gamma: o.gamma, scale: 1 / o.accumulation });
        loss += r.loss * r.tokens;
        ce += r.ce * r.tokens;
        tokens += r.tokens;
        correct += r.correct;
      }
      const lr = scheduledLearningRate(state.step, elapsed(), o.schedule);
      const applied = await this.model.applyStep({ lr, clip: o.clip });
      state.tokensSeen += tokens;
      windowTokens += tokens;
      if (applied.skipped) {
        state.skippedSteps++;
        state.consecutiveSkips++;
      } else {
        state.consecutiveSkips = 0;
        state.step++;
      }
      const now = o.clock();
      if (now - windowStart > 1000) {
        tokensPerSecond = (windowTokens * 1000) / (now - windowStart);
        windowTokens = 0;
        windowStart = now;
      } else if (tokensPerSecond === 0) {
        tokensPerSecond = (windowTokens * 1000) / Math.max(1, now - windowStart);
      }
      const report: StepReport = {
        step: state.step, tokens, loss: loss / tokens, ce: ce / tokens, lr, gradNorm: applied.gradNorm, tokenAccuracy: correct / tokens,
        tokensPerSecond, skipped: applied.skipped, elapsedSeconds: elapsed(),
      };
      if (!applied.skipped) {
        window.loss += loss;
        window.ce += ce;
        window.correct += correct;
        window.tokens += tokens;
        window.gradNorm += applied.gradNorm;
        window.updates++;
      }
      run.onStep?.(report);
      if (state.consecutiveSkips >= o.maxConsecutiveSkips) {
        progress.end();
        throw new TrainingError(
          `training stopped: ${state.consecutiveSkips} steps in a row had a non-finite loss or gradient (at update ${state.step}). ` +
            (lastCheckpointStep === undefined ? 'No checkpoint was written yet.' : `The last good checkpoint (update ${lastCheckpointStep}) in ${o.out} is intact.`),
          lastCheckpointStep,
        );
      }
      if (!applied.skipped && state.step % o.logEvery === 0) {
        await metrics.append({
          type: 'step', step: state.step, loss: window.loss / window.tokens, ppl: Math.exp(window.ce / window.tokens),
          tokenAccuracy: window.correct / window.tokens, lr, gradNorm: window.gradNorm / window.updates, tokensPerSecond,
          elapsedSeconds: report.elapsedSeconds,
        });
        Object.assign(window, { loss: 0, ce: 0, correct: 0, tokens: 0, gradNorm: 0, updates: 0 });
        if (!quiet) {
          const rate = (state.step - sessionStartStep) / Math.max(1e-9, (o.clock() - started) / 1000);
          progress.update({ step: state.step, maxSteps: o.maxSteps, loss: report.loss, lr, tokensPerSecond, etaSeconds: (o.maxSteps - state.step) / rate });
        }
      }
      if (!applied.skipped && o.evalEvery > 0 && state.step % o.evalEvery === 0) lastEval = (await evaluate()) ?? lastEval;
      if (!applied.skipped && state.step % o.checkpointEvery === 0) {
        state.elapsedSeconds = elapsed();
        await saveCheckpoint();
      }
    }
    state.elapsedSeconds = elapsed();
    // A run that ended as planned (its step count, or the budget of a schedule over time) ends
    // with an evaluation of its final weights.
    const planned = stopped === 'max-steps' || (o.schedule.budgetSeconds !== undefined && state.elapsedSeconds >= o.schedule.budgetSeconds);
    if (planned && (o.evalEvery === 0 || state.step % o.evalEvery !== 0)) lastEval = (await evaluate()) ?? lastEval;
    await saveCheckpoint();
    await this.model.withEma(() => exportModel(this.model, join(o.out, 'final')));
    progress.end();
    const result: RunResult = { step: state.step, stopped, skippedSteps: state.skippedSteps, elapsedSeconds: state.elapsedSeconds };
    if (lastEval) result.lastEval = lastEval;
    if (state.best) result.best = state.best;
    return result;
  }
}

/** The paper's items per device and update for a model kind. */
function recipeBatch(kind: 'svae' | 'sllm'): number {
  return paperRecipe[kind].batchPerDevice;
}

/** Writes a model folder next to its final place, then swaps it in (never a half-written folder). */
async function exportModel(model: { save(dir: string): Promise<void> }, dir: string): Promise<void> {
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await model.save(tmp);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined); // e.g. a full disk: no empty tmp left behind
    throw error;
  }
  await rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}
