import { rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { DistributedContext } from '../distributed/DistributedContext.js';
import { placementFromEnvironment } from '../distributed/environment.js';
import { DistributedError } from '../errors/DistributedError.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { TrainingError } from '../errors/TrainingError.js';
import { expectBoolean, expectInteger, expectNumber, expectOneOf, expectString, invalid } from '../validate.js';
import { readCheckpoint, type TrainerState, writeCheckpoint } from './checkpoint.js';
import { writeCurves } from './curves.js';
import { MetricsLog } from './metrics.js';
import { Progress } from './progress.js';
import { cleanStaleFiles, lockRunFolder } from './runFolder.js';
import { paperRecipe, type RecipeName, recipeNames, recipeTrainerDefaults } from './recipe.js';
import { learningRate, type ScheduleOptions } from './schedule.js';
import { scheduledLearningRate } from './timedSchedule.js';
import { Tensor } from '../tensor/Tensor.js';
import { shardedSource } from './shard.js';
import type { BatchSource, EvalMetrics, TrainableModel, TrainingSetup } from './TrainableModel.js';
import type { TrainingFacts } from './trainingFacts.js';

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
  /** Micro-batches per update (gradient accumulation), 1 to 65,536. @default 1 */
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
  /**
   * Show progress on stderr (a bar on a TTY, lines otherwise; the ETA is the sooner of maxSteps
   * and maxSeconds). With `false` the Trainer writes nothing to stdout or stderr — no bar, no
   * eval or resume lines; everything is still in metrics.jsonl and in the callbacks.
   * @default true, unless run() is given an `onStep` callback (the caller shows progress itself): then false
   * @example
   * ```ts
   * new Trainer(vae, { out: 'runs/quiet', maxSteps: 100, schedule: { baseLr: 1e-3 }, progress: false });
   * ```
   */
  progress?: boolean;
  /**
   * The wall clock in milliseconds (tests inject a deterministic one): it drives maxSeconds, a
   * schedule over time (schedule.budgetSeconds) and the throughput figures. @default performance.now
   */
  clock?: () => number;
  /**
   * Data-parallel training over several processes (docs/distributed.md). 'env': join the run the
   * environment describes when it names a world size above 1 (`sentencevae launch`, torchrun,
   * Slurm, Kubernetes training operators set it), else train alone; a DistributedContext: train
   * over that group (the caller disposes it); 'off': never. In a distributed run the batch source
   * yields global batches and each rank trains on its slice of every batch (so the batch size
   * and learning rate mean the same as in one process), weights start from rank 0's, gradients
   * are averaged over the ranks before each update, and only rank 0 writes to `out`.
   * @default 'env'
   * @example
   * ```ts
   * // under `sentencevae launch --nproc-per-node 2 -- node train.js` (or torchrun):
   * await new Trainer(vae, { out: 'runs/dp', maxSteps: 1000, schedule: { baseLr: 1e-3 } })
   *   .run({ batches: train.batches({ batchSize: 128, seed: 1 }) }); // 64 sentences per rank
   * ```
   */
  distributed?: DistributedContext | 'env' | 'off';
  /** Collective timeout (seconds) of the group the Trainer joins itself (distributed 'env'). @default 1800 */
  distributedTimeoutSeconds?: number;
  /**
   * The learning rate per item (the paper's "per batch per card" rate): the base learning rate
   * becomes `lrPerSample × globalBatch` (items per update over all ranks and accumulation
   * steps). Give it instead of `schedule.baseLr`.
   * @example
   * ```ts
   * new Trainer(vae, { out, maxSteps: 300_000, lrPerSample: 1e-7, globalBatch: 4 * 128 }); // baseLr 5.12e-5
   * ```
   */
  lrPerSample?: number;
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
  /** Distributed runs: wall time of this update's gradient all-reduce, in seconds (0 alone). */
  allReduceSeconds: number;
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
  /**
   * Called after every update. Giving one turns the Trainer's own progress output off unless
   * the options say `progress: true` (a caller with its own display wants a quiet Trainer).
   */
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
  readonly options: Readonly<Required<Omit<TrainerOptions, 'schedule' | 'globalBatch' | 'distributed' | 'lrPerSample'>>> & {
    schedule: ScheduleOptions;
    globalBatch?: number;
    distributed: DistributedContext | 'env' | 'off';
  };
  /** `progress` as the caller gave it (undefined: on, unless run() gets an onStep). */
  readonly #progress: boolean | undefined;

  constructor(model: TrainableModel<Batch, Data>, options: TrainerOptions) {
    if (model === null || typeof model !== 'object' || typeof (model as Partial<TrainableModel<Batch, Data>>).accumulate !== 'function') {
      invalid('a model (SentenceVAE, OPT or SLLM)', 'model', model);
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options)) invalid('options object ({ out, maxSteps, schedule })', 'options', options);
    expectString(options.out, 'out');
    // The schedule may be left out only when a recipe supplies it (learningRate() below checks the result).
    const lrPerSample = options.lrPerSample === undefined ? undefined : expectNumber(options.lrPerSample, 'lrPerSample', 0);
    const scheduleGiven = options.schedule !== undefined || lrPerSample !== undefined || (options.recipe !== undefined && options.recipe !== 'default');
    if (!scheduleGiven || (options.schedule !== undefined && (options.schedule === null || typeof options.schedule !== 'object' || Array.isArray(options.schedule)))) {
      invalid('schedule object ({ baseLr, warmupSteps?, ... })', 'schedule', options.schedule);
    }
    this.model = model;
    const evalEvery = expectInteger(options.evalEvery ?? 1000, 'evalEvery', 0);
    const recipe = expectOneOf(options.recipe ?? 'default', 'recipe', recipeNames);
    // At most 65,536 micro-batches an update: one update of 2^53 (accepted before) never ended,
    // and the run's signal is only checked between updates.
    const accumulation = expectInteger(options.accumulation ?? 1, 'accumulation', 1, 65536);
    const globalBatch = options.globalBatch === undefined ? undefined : expectInteger(options.globalBatch, 'globalBatch', 1);
    // The recipe fills in what the caller left out (explicit options always win).
    const r = recipeTrainerDefaults(recipe, {
      kind: model.kind, device: model.device,
      ...(globalBatch !== undefined ? { globalBatch } : model.kind === 'svae' || model.kind === 'sllm' ? { globalBatch: recipeBatch(model.kind) * accumulation } : {}),
    });
    const distributed = options.distributed ?? 'env';
    if (!(distributed instanceof DistributedContext) && distributed !== 'env' && distributed !== 'off') {
      invalid("a DistributedContext, 'env' or 'off'", 'distributed', distributed);
    }
    let schedule = { ...r.schedule, ...options.schedule } as ScheduleOptions;
    if (lrPerSample !== undefined) {
      if (options.schedule?.baseLr !== undefined) throw new InvalidArgumentError('Expected either lrPerSample or schedule.baseLr but received both');
      const items = globalBatch ?? (model.kind === 'svae' || model.kind === 'sllm' ? recipeBatch(model.kind) * accumulation : undefined);
      if (items === undefined) throw new InvalidArgumentError(`Expected an integer >= 1 for globalBatch (items per update over all ranks) with lrPerSample but it is missing (a ${model.kind ?? 'model'} has no recipe batch)`);
      schedule = { ...schedule, baseLr: lrPerSample * items };
    }
    this.options = {
      out: options.out,
      distributed,
      distributedTimeoutSeconds: expectNumber(options.distributedTimeoutSeconds ?? 1800, 'distributedTimeoutSeconds', 0.001),
      // A schedule over wall time ends on its budget: no step count is needed.
      maxSteps: expectInteger(options.maxSteps ?? r.maxSteps ?? (options.schedule?.budgetSeconds !== undefined ? Number.MAX_SAFE_INTEGER : undefined), 'maxSteps', 1),
      schedule,
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
    this.#progress = options.progress === undefined ? undefined : expectBoolean(options.progress, 'progress');
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
    const quiet = !(this.#progress ?? run.onStep === undefined);
    const group = await this.#joinGroup();
    try {
      // Rank 0 alone owns the run folder: the lock, the clean-up, every file written.
      const main = group === undefined || group.context.rank === 0;
      const lock = main ? await lockRunFolder(this.options.out) : undefined;
      try {
        const cleaned = main ? await cleanStaleFiles(this.options.out) : [];
        if (cleaned.length > 0 && !quiet) process.stderr.write(`[trainer] cleaned up after an interrupted run in ${this.options.out}: ${cleaned.join(', ')}\n`);
        return await this.#run(run, group?.context, quiet);
      } finally {
        await lock?.release();
      }
    } finally {
      if (group?.owned) group.context.dispose();
    }
  }

  /** The process group of a distributed run, if any (owned: joined here, so disposed here). */
  async #joinGroup(): Promise<{ context: DistributedContext; owned: boolean } | undefined> {
    const d = this.options.distributed;
    if (d instanceof DistributedContext) return { context: d, owned: false };
    if (d === 'off') return undefined;
    const placement = placementFromEnvironment();
    if (placement === undefined || placement.worldSize === 1) return undefined;
    const context = await DistributedContext.create({
      timeoutSeconds: this.options.distributedTimeoutSeconds,
      backend: this.model.device.startsWith('cuda') ? 'nccl' : 'gloo',
    });
    return { context, owned: true };
  }

  /** Every rank must resume from the same checkpoint (or none): a shared `out` folder, or copies of it. */
  async #agreeOnCheckpoint(dist: DistributedContext, step: number | undefined): Promise<void> {
    const votes = await Tensor.from(new Float64Array([step === undefined ? 0 : 1, step ?? 0]), { shape: [2] });
    try {
      await dist.allReduce(new Map([['votes', votes]]), { op: 'sum' });
      const [found, steps] = (await votes.toArray()) as Float64Array;
      if (found !== 0 && (found !== dist.worldSize || steps !== dist.worldSize * (step ?? -1))) {
        throw new DistributedError(
          `rank ${dist.rank} of ${dist.worldSize}: the ranks see different checkpoints in ${this.options.out} ` +
            `(${found} of ${dist.worldSize} found one; this rank: ${step === undefined ? 'none' : `update ${step}`}). ` +
            'Every rank must read the same checkpoint: put the run folder on a shared filesystem or copy it to every machine',
        );
      }
    } finally {
      votes.dispose();
    }
  }

  async #run(run: RunOptions<Batch, Data>, dist: DistributedContext | undefined, quietAsked: boolean): Promise<RunResult> {
    const o = this.options;
    const main = dist === undefined || dist.isMain;
    const metrics = new MetricsLog(join(o.out, 'metrics.jsonl'));
    // Only rank 0 reports progress; the others stay quiet.
    const quiet = quietAsked || !main;
    const progress = new Progress(process.stderr, quiet ? false : undefined);
    // Distributed: every rank walks the same global batches and trains on its own slice of each.
    const batches = dist === undefined ? run.batches : shardedSource(run.batches, dist.rank, dist.worldSize);
    let state: TrainerState = {
      format: 1, step: 0, position: run.batches.position, tokensSeen: 0, skippedSteps: 0, consecutiveSkips: 0,
      elapsedSeconds: 0, best: null, adamStep: 0, lossScale: 1,
    };

    const checkpoint = o.resume ? await readCheckpoint(o.out) : undefined;
    if (dist) await this.#agreeOnCheckpoint(dist, checkpoint?.state.step);
    if (checkpoint) {
      await this.model.loadNamedTensors(checkpoint.model);
      await this.model.configureTraining(this.#setup(), null);
      await this.model.restoreTraining(checkpoint.snapshot);
      for (const t of [...checkpoint.model.values(), ...checkpoint.snapshot.tensors.values()]) t.dispose();
      state = checkpoint.state;
      // The position counts global batches: the same for any world size (docs/distributed.md).
      batches.restore(state.position);
      if (main) await metrics.truncateAfter(state.step);
      if (!quiet) progress.log(`resumed from ${join(o.out, 'checkpoint.safetensors')} at step ${state.step}${dist ? ` on ${dist.worldSize} ranks` : ''}`);
    } else {
      if (dist) {
        // Every rank starts from rank 0's weights (before configureTraining: the EMA starts from them).
        const weights = this.model.namedTensors();
        try {
          await dist.broadcast(weights, { root: 0 });
        } finally {
          for (const t of weights.values()) t.dispose();
        }
      }
      // Each rank draws its own dropout masks (rank 0's stream is the single-process one).
      await this.model.configureTraining(this.#setup(), o.seed + (dist?.rank ?? 0));
      if (main && (!o.resume || !existsSync(metrics.path))) await metrics.truncateAfter(-1);
    }
    let lastCheckpointStep: number | undefined = checkpoint ? state.step : undefined;

    // For the model card of exported folders (SLLM / SentenceVAE save() write README.md).
    const facts = (): TrainingFacts => ({
      steps: state.step, tokensSeen: state.tokensSeen, elapsedSeconds: elapsed(), recipe: o.recipe, baseLr: o.schedule.baseLr,
      globalBatch: o.globalBatch, emaDecay: o.emaDecay, best: state.best ? { loss: state.best.value, step: state.best.step } : undefined,
    });
    const saveCheckpoint = async () => {
      const snapshot = await this.model.trainingSnapshot();
      const weights = this.model.namedTensors();
      try {
        state.position = batches.position;
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
        await this.model.withEma(() => exportModel(this.model, join(o.out, 'best'), facts()));
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

    const reduce = dist === undefined ? undefined : this.model.reduceGradients?.bind(this.model);
    if (dist !== undefined && reduce === undefined) invalid('a model with reduceGradients() (SentenceVAE, OPT, SLLM) for a distributed run', 'model', this.model);
    let stopVote: RunResult['stopped'] | undefined;
    while (state.step < o.maxSteps) {
      // Alone, stop before the step; distributed, every rank votes with the step's reduction
      // (below) and all stop after the same update, so none is left waiting in a collective.
      const wantStop: RunResult['stopped'] | undefined = run.signal?.aborted ? 'aborted' : sessionSeconds() >= o.maxSeconds || (o.schedule.budgetSeconds !== undefined && elapsed() >= o.schedule.budgetSeconds) ? 'max-seconds' : undefined;
      if (wantStop !== undefined && dist === undefined) {
        stopped = wantStop;
        break;
      }
      let loss = 0, ce = 0, tokens = 0, correct = 0;
      for (let k = 0; k < o.accumulation; k++) {
        const batch = batches.next();
        const r = await this.model.accumulate(batch, { gamma: o.gamma, scale: 1 / o.accumulation });
        loss += r.loss * r.tokens;
        ce += r.ce * r.tokens;
        tokens += r.tokens;
        correct += r.correct;
      }
      let allReduceSeconds = 0;
      if (dist !== undefined && reduce !== undefined) {
        // Only now, after the last micro-batch: one reduction per update, whatever the accumulation.
        const r = await reduce(dist, new Float64Array([loss, ce, tokens, correct, wantStop === undefined ? 0 : 1]));
        [loss, ce, tokens, correct] = [r.values[0]!, r.values[1]!, r.values[2]!, r.values[3]!];
        if (r.values[4]! > 0) stopVote = wantStop ?? 'aborted';
        allReduceSeconds = r.seconds;
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
        tokensPerSecond, skipped: applied.skipped, elapsedSeconds: elapsed(), allReduceSeconds,
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
      if (main && !applied.skipped && state.step % o.logEvery === 0) {
        await metrics.append({
          type: 'step', step: state.step, loss: window.loss / window.tokens, ppl: Math.exp(window.ce / window.tokens),
          tokenAccuracy: window.correct / window.tokens, lr, gradNorm: window.gradNorm / window.updates, tokensPerSecond,
          elapsedSeconds: report.elapsedSeconds,
        });
        Object.assign(window, { loss: 0, ce: 0, correct: 0, tokens: 0, gradNorm: 0, updates: 0 });
        if (!quiet) {
          const rate = (state.step - sessionStartStep) / Math.max(1e-9, sessionSeconds());
          // Time left: the sooner of maxSeconds (this session) and a schedule's budget (the whole run).
          const budget = o.schedule.budgetSeconds;
          const secondsLeft = Math.min(o.maxSeconds - sessionSeconds(), budget === undefined ? Infinity : budget - elapsed());
          const fraction = Math.max(state.step / o.maxSteps, budget === undefined ? 0 : elapsed() / budget, Number.isFinite(o.maxSeconds) ? sessionSeconds() / o.maxSeconds : 0);
          progress.update({ step: state.step, maxSteps: o.maxSteps, loss: report.loss, lr, tokensPerSecond, etaSeconds: etaSeconds(o.maxSteps - state.step, rate, secondsLeft), fraction });
        }
      }
      if (main && !applied.skipped && o.evalEvery > 0 && state.step % o.evalEvery === 0) lastEval = (await evaluate()) ?? lastEval;
      if (main && !applied.skipped && state.step % o.checkpointEvery === 0) {
        state.elapsedSeconds = elapsed();
        await saveCheckpoint();
      }
      if (stopVote !== undefined) {
        stopped = stopVote;
        break;
      }
    }
    state.elapsedSeconds = elapsed();
    if (main) {
      // A run that ends by its step or time budget evaluates its last weights (unless that step was
      // just evaluated); an aborted one (Ctrl-C) only writes its checkpoint and export.
      if (stopped !== 'aborted' && lastEval?.step !== state.step && (stopped === 'max-seconds' || o.evalEvery === 0 || state.step % o.evalEvery !== 0)) {
        lastEval = (await evaluate()) ?? lastEval;
      }
      await saveCheckpoint();
      await this.model.withEma(() => exportModel(this.model, join(o.out, 'final'), facts()));
    }
    progress.end();
    const result: RunResult = { step: state.step, stopped, skippedSteps: state.skippedSteps, elapsedSeconds: state.elapsedSeconds };
    if (lastEval) result.lastEval = lastEval;
    if (state.best) result.best = state.best;
    return result;
  }
}

/**
 * Seconds left: the sooner of the steps left at the observed rate and the time budget left
 * (`maxSeconds` counts this session's wall time, as the loop does).
 */
export function etaSeconds(stepsLeft: number, stepsPerSecond: number, secondsLeft: number): number {
  const bySteps = stepsPerSecond > 0 ? stepsLeft / stepsPerSecond : Infinity;
  return Math.max(0, Math.min(bySteps, secondsLeft));
}

/** The paper's items per device and update for a model kind. */
function recipeBatch(kind: 'svae' | 'sllm'): number {
  return paperRecipe[kind].batchPerDevice;
}

/** Writes a model folder next to its final place, then swaps it in (never a half-written folder). */
async function exportModel(model: { save(dir: string, options?: { training?: TrainingFacts }): Promise<void> }, dir: string, training: TrainingFacts): Promise<void> {
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await model.save(tmp, { training });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined); // e.g. a full disk: no empty tmp left behind
    throw error;
  }
  await rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}
