/**
 * `sentencevae train-vae --config cfg.json [flags]`: trains a SentenceVAE with the Trainer.
 * Flags override the config file; the config file overrides the defaults below.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { checkCorpus } from '../data/corpus.js';
import { SentenceDataset } from '../data/SentenceDataset.js';
import { FormatError } from '../errors/FormatError.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { makeOutputDir, readTextFile } from '../files.js';
import { SentenceVAE } from '../models/SentenceVAE.js';
import type { PresetName } from '../models/svaeConfig.js';
import { checkRunFolderFree } from '../train/runFolder.js';
import { type RecipeName, recipeNames } from '../train/recipe.js';
import { Trainer, type TrainerOptions } from '../train/Trainer.js';
import { presetNames } from '../models/svaeConfig.js';
import { describe, expectInteger, expectNumber, expectOneOf, expectString, invalid } from '../validate.js';
import { parseFlags } from './args.js';
import { ampModes } from './flags.js';
import { defaultWarmup } from './warmup.js';

export const trainVaeUsage = `Usage: sentencevae train-vae [--config cfg.json] [flags]

  --data <file|dir|brown>  training corpus (default: brown)
  --out <dir>              output folder (default: runs/svae)
  --preset <name>          tiny | small | SVAE-768-H1 ... (default: small)
  --recipe <default|paper> paper: the paper's recipe — post-LN blocks, batch 128, LR 1e-7 × the
                           global batch, 5K warm-up from 1e-3 × LR, cosine period 20K, focal loss
                           summed per sentence, 300K updates, AMP on CUDA (flags still override;
                           docs/training.md lists every difference from the default)
  --max-steps N            optimizer updates (default: 10000)
  --eval-every N           evaluate every N updates (default: 500)
  --batch-size N           sentences per micro-batch (default: 64; paper: 128)
  --lr X                   peak learning rate (default: 1e-3; paper: 1e-7 × global batch)
  --warmup N               warm-up updates (default: 10% of --max-steps, at most 500; paper: 5000)
  --max-minutes X          stop after this wall time (then evaluates, writes the checkpoint and
                           final/, as at --max-steps; whichever comes first ends the run)
  --device <cpu|cuda|cuda:N|auto> (default: cpu)
  --amp <off|bf16|fp16>    mixed precision on CUDA (default: off; paper: fp16 on CUDA)
  --tokenizer <name|dir>   gpt2-opt | gpt2-opt-4k | a folder (default: the preset's)
  --seed N                 (default: 0)
  --resume                 continue from <out>/checkpoint.safetensors

The config file takes the same keys in camelCase (maxSteps, evalEvery, batchSize, ...), plus
"model": { ...SentenceVAE config overrides } and "trainer": { ...Trainer options }.`;

interface TrainVaeConfig {
  data: string;
  out: string;
  preset: PresetName;
  recipe: RecipeName;
  maxSteps: number;
  evalEvery: number;
  batchSize: number;
  /** Undefined with recipe 'paper': the recipe's rule gives it. */
  lr?: number | undefined;
  warmup?: number | undefined;
  maxMinutes?: number;
  device: string;
  amp?: 'off' | 'bf16' | 'fp16';
  tokenizer?: string;
  seed: number;
  resume: boolean;
  validationFraction: number;
  validationLimit: number;
  model: Record<string, unknown>;
  trainer: Record<string, unknown>;
}

const defaults: TrainVaeConfig = {
  data: 'brown', out: 'runs/svae', preset: 'small', recipe: 'default', maxSteps: 10000, evalEvery: 500, batchSize: 64, lr: 1e-3,
  device: 'cpu', seed: 0, resume: false, validationFraction: 0.02, validationLimit: 1000, model: {}, trainer: {},
};

/** What --recipe paper changes in the defaults above (the rest comes from the Trainer's recipe). */
const paperDefaults: Partial<TrainVaeConfig> = { batchSize: 128, maxSteps: 300_000, lr: undefined, warmup: undefined };

/** The resolved configuration of a train-vae run and the options it creates the model and Trainer with. */
export interface TrainVaePlan {
  config: TrainVaeConfig;
  model: { preset: PresetName; recipe: RecipeName; config: Record<string, unknown>; device: string; seed: number; tokenizer?: string };
  trainer: TrainerOptions;
}

/** The merged settings of a run, each checked under the name `where` gives it. */
function checkTrainVaeConfig(cfg: TrainVaeConfig, where: (key: string) => string): void {
  expectString(cfg.data, where('data'));
  expectString(cfg.out, where('out'));
  expectOneOf(cfg.preset, where('preset'), presetNames);
  expectInteger(cfg.maxSteps, where('maxSteps'), 1);
  expectInteger(cfg.evalEvery, where('evalEvery'), 0);
  expectInteger(cfg.batchSize, where('batchSize'), 1);
  if (cfg.lr !== undefined && (typeof cfg.lr !== 'number' || !(cfg.lr > 0) || !Number.isFinite(cfg.lr))) invalid('number > 0', where('lr'), cfg.lr);
  if (cfg.warmup !== undefined) expectInteger(cfg.warmup, where('warmup'), 0);
  if (cfg.maxMinutes !== undefined && (typeof cfg.maxMinutes !== 'number' || !(cfg.maxMinutes > 0) || !Number.isFinite(cfg.maxMinutes))) invalid('number > 0', where('maxMinutes'), cfg.maxMinutes);
  if (typeof cfg.device !== 'string' || !/^(cpu|cuda|cuda:\d+|auto)$/.test(cfg.device)) invalid("'cpu', 'cuda', 'cuda:N' or 'auto'", where('device'), cfg.device);
  if (cfg.amp !== undefined) expectOneOf(cfg.amp, where('amp'), ampModes);
  if (cfg.tokenizer !== undefined) expectString(cfg.tokenizer, where('tokenizer'));
  expectInteger(cfg.seed, where('seed'), 0, Number.MAX_SAFE_INTEGER);
  expectNumber(cfg.validationFraction, where('validationFraction'), 0, 0.99);
  expectInteger(cfg.validationLimit, where('validationLimit'), 0);
  for (const key of ['model', 'trainer'] as const) {
    const v: unknown = cfg[key];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) invalid('object', where(key), v);
  }
}

/** Flags + config file (+ the saved run config when resuming) + defaults → the run's plan. */
export async function planTrainVae(argv: readonly string[]): Promise<TrainVaePlan> {
  const flags = parseFlags(argv, {
    config: 'string', data: 'string', out: 'string', preset: 'string', recipe: 'string', 'max-steps': 'number', 'eval-every': 'number',
    'batch-size': 'number', lr: 'number', warmup: 'number', 'max-minutes': 'number', device: 'string', amp: 'string',
    tokenizer: 'string', seed: 'number', resume: 'boolean',
  });
  let fileConfig: Partial<TrainVaeConfig> = {};
  if (typeof flags.config === 'string') {
    try {
      fileConfig = JSON.parse(await readTextFile(flags.config)) as Partial<TrainVaeConfig>;
    } catch (error) {
      if (error instanceof FormatError) throw error;
      throw new FormatError(`${flags.config}: ${(error as Error).message}`, { path: flags.config });
    }
    if (fileConfig === null || typeof fileConfig !== 'object' || Array.isArray(fileConfig)) {
      throw new FormatError(`${flags.config}: expected a JSON object of settings (maxSteps, batchSize, ...) but found ${describe(fileConfig)}`, { path: flags.config });
    }
  }
  const camel = (k: string) => k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  const fromFlags = Object.fromEntries(Object.entries(flags).filter(([k]) => k !== 'config').map(([k, v]) => [camel(k), v]));
  // Resuming starts from the configuration saved when the run began (flags still override it).
  const out = (fromFlags.out as string | undefined) ?? fileConfig.out ?? defaults.out;
  const savedConfig = join(out, 'run-config.json');
  const saved = flags.resume === true && existsSync(savedConfig) ? (JSON.parse(await readTextFile(savedConfig)) as Partial<TrainVaeConfig>) : {};
  // Every setting is checked, named as the user wrote it (a flag, or a key of a config file),
  // before the command prints or loads anything.
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const where = (key: string) => (key in fromFlags ? `--${kebab(key)}` : key in fileConfig ? `${key} in ${String(flags.config)}` : key in saved ? `${key} in ${savedConfig}` : key);
  const recipe = expectOneOf(fromFlags.recipe ?? fileConfig.recipe ?? saved.recipe ?? 'default', where('recipe'), recipeNames);
  const cfg = { ...defaults, ...(recipe === 'paper' ? paperDefaults : {}), ...saved, ...fileConfig, ...fromFlags, recipe } as TrainVaeConfig;
  checkTrainVaeConfig(cfg, where);
  if (recipe !== 'paper' && cfg.warmup === undefined) cfg.warmup = defaultWarmup(cfg.maxSteps);
  const accumulation = typeof cfg.trainer.accumulation === 'number' ? cfg.trainer.accumulation : 1;
  const trainer: TrainerOptions = {
    out: cfg.out, maxSteps: cfg.maxSteps, evalEvery: cfg.evalEvery, seed: cfg.seed, resume: cfg.resume, recipe,
    ...(cfg.amp ? { amp: cfg.amp } : {}),
    // Paper: LR = its per-sentence rate × the global batch, its warm-up and 20K cosine period,
    // unless --lr / --warmup say otherwise. Default: a cosine over the whole run.
    schedule: recipe === 'paper'
      ? { ...(cfg.lr !== undefined ? { baseLr: cfg.lr } : {}), ...(cfg.warmup !== undefined ? { warmupSteps: cfg.warmup } : {}) }
      : { baseLr: cfg.lr!, warmupSteps: cfg.warmup!, cosinePeriod: cfg.maxSteps },
    globalBatch: cfg.batchSize * accumulation,
    ...(cfg.maxMinutes ? { maxSeconds: cfg.maxMinutes * 60 } : {}),
    ...cfg.trainer,
  };
  const model = { preset: cfg.preset, recipe, config: cfg.model, device: cfg.device, seed: cfg.seed, ...(cfg.tokenizer ? { tokenizer: cfg.tokenizer } : {}) };
  return { config: cfg, model, trainer };
}

export async function trainVae(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(trainVaeUsage);
    return 0;
  }
  const { config: cfg, model, trainer: trainerOptions } = await planTrainVae(argv);
  const savedConfig = join(cfg.out, 'run-config.json');

  // Everything that can be checked without a model is checked before one is built: the corpus
  // can be read, the output folder can be made and no other run is writing into it.
  await checkCorpus(cfg.data);
  await makeOutputDir(cfg.out);
  await checkRunFolderFree(cfg.out);

  let vae: SentenceVAE;
  if (cfg.resume && existsSync(join(cfg.out, 'checkpoint.safetensors')) && existsSync(join(cfg.out, 'final'))) {
    vae = await SentenceVAE.load(join(cfg.out, 'final'), { device: cfg.device as 'cpu' }); // config + tokenizer; the checkpoint brings the weights
  } else {
    vae = await SentenceVAE.create({ ...model, device: model.device as 'cpu' });
  }
  await writeFile(savedConfig, `${JSON.stringify(cfg, null, 2)}\n`);
  console.error(`[train-vae] ${cfg.preset}: ${vae.parameterCount.toLocaleString('en-US')} parameters on ${vae.device}; data ${cfg.data}`);
  const train = await SentenceDataset.fromCorpus(cfg.data, vae.tokenizer, { split: 'train', validationFraction: cfg.validationFraction, maxTokens: vae.config.maxTokens });
  const held = await SentenceDataset.fromCorpus(cfg.data, vae.tokenizer, { split: 'validation', validationFraction: cfg.validationFraction, maxTokens: vae.config.maxTokens, limit: cfg.validationLimit });
  console.error(`[train-vae] ${train.size.toLocaleString('en-US')} training sentences (${train.tokens.toLocaleString('en-US')} tokens), ${held.size} held out`);
  if (train.size === 0) throw new InvalidArgumentError(`${cfg.data} has no training sentences of at most ${vae.config.maxTokens} tokens`);
  if (held.size === 0) console.error('[train-vae] no held-out sentences (the corpus is small or validationFraction is 0): training without evaluation');

  const controller = new AbortController();
  const stop = () => {
    console.error('\n[train-vae] stopping after this step (a checkpoint is written)...');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const trainer = new Trainer(vae, trainerOptions);
    const result = await trainer.run({
      batches: train.batches({ batchSize: cfg.batchSize, seed: cfg.seed }), signal: controller.signal, ...(held.size > 0 ? { validation: held } : {}),
    });
    console.error(`[train-vae] stopped (${result.stopped}) at update ${result.step} after ${result.elapsedSeconds.toFixed(0)} s; model in ${join(cfg.out, 'final')}`);
    if (result.lastEval) console.log(JSON.stringify(result.lastEval));
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    vae.dispose();
  }
}
