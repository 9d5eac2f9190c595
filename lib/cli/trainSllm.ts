/**
 * `sentencevae train-sllm --model <sllm dir> [flags]`: trains a grafted SLLM on paragraphs with
 * the Trainer (stop loss + decode loss), evaluating held-out PPL and stop accuracy.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { checkCorpus } from '../data/corpus.js';
import { ParagraphDataset } from '../data/ParagraphDataset.js';
import { DTypeError } from '../errors/DTypeError.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { makeOutputDir } from '../files.js';
import { SLLM } from '../models/SLLM.js';
import { savedAsInt8 } from '../models/inferenceDType.js';
import { checkRunFolderFree } from '../train/runFolder.js';
import { type RecipeName, recipeNames } from '../train/recipe.js';
import { Trainer, type TrainerOptions } from '../train/Trainer.js';
import { SentenceVAE } from '../models/SentenceVAE.js';
import type { Device } from '../tensor/Tensor.js';
import { parseFlags } from './args.js';
import { ampModes, deviceFlag, type Flags, intFlag, numFlag, oneOfFlag, positiveFlag, requiredFlag } from './flags.js';
import { defaultWarmup } from './warmup.js';
import { localFolder } from './localFolder.js';

export const trainSllmUsage = `Usage: sentencevae train-sllm --model <dir> [flags]

  --model <dir>            an SLLM folder (from \`sentencevae graft\` or a previous run)
  --data <file|dir|brown>  training corpus of paragraphs (default: brown)
  --out <dir>              output folder (default: runs/sllm)
  --recipe <default|paper> paper: the paper's recipe — batch 1, LR 1e-6 × the global batch, 5K
                           warm-up from 1e-3 × LR, cosine period 20K, focal loss summed per
                           sentence, 1.6M updates, AMP on CUDA (flags still override; see
                           docs/training.md)
  --max-steps N            optimizer updates (default: 5000; paper: 1.6M)
  --eval-every N           evaluate every N updates (default: 500)
  --batch-size N           paragraphs per update (default: 4; paper: 1)
  --max-sentences N        sentences per paragraph chunk (default: 64)
  --lr X                   peak learning rate (default: 1e-4; paper: 1e-6 × global batch)
  --warmup N               warm-up updates (default: 10% of --max-steps, at most 500; paper: 5000)
  --gamma X                focal loss γ (default: 2; 0 = cross-entropy)
  --stop-weight X          multiplier of the stop loss against the decode loss (default: 1)
  --stop-balanced          class-balanced stop loss: paragraph ends count as much as
                           continuations (default: off; see docs/sllm.md, "The stop head")
  --freeze-svae            keep the SentenceVAE's weights fixed
  --freeze-llm             keep the OPT layers fixed
  --max-minutes X          stop after this wall time (then evaluates, writes the checkpoint and
                           final/, as at --max-steps; whichever comes first ends the run)
  --device <cpu|cuda|cuda:N|auto> (default: cpu)
  --amp <off|bf16|fp16>    mixed precision on CUDA (default: off; paper: fp16 on CUDA)
  --seed N                 (default: 0)
  --resume                 continue from <out>/checkpoint.safetensors`;


/**
 * The Trainer options and batch size of a train-sllm run from its flags: --recipe paper fills in
 * the paper's batch (1), learning-rate rule, warm-up, cosine period and length; flags win.
 */
export function sllmTrainingPlan(f: Flags): { batchSize: number; trainer: TrainerOptions; maxSentences: number; device: Device } {
  // Every flag is checked here, in its own name, before the command prints or loads anything.
  const recipe: RecipeName = oneOfFlag(f, 'recipe', recipeNames) ?? 'default';
  const paper = recipe === 'paper';
  const batchSize = intFlag(f, 'batch-size', 1) ?? (paper ? 1 : 4);
  const maxSteps = intFlag(f, 'max-steps', 1) ?? (paper ? 1_600_000 : 5000);
  const lr = positiveFlag(f, 'lr');
  const warmup = intFlag(f, 'warmup', 0);
  const schedule = paper
    ? { ...(lr !== undefined ? { baseLr: lr } : {}), ...(warmup !== undefined ? { warmupSteps: warmup } : {}) }
    : { baseLr: lr ?? 1e-4, warmupSteps: warmup ?? defaultWarmup(maxSteps), cosinePeriod: maxSteps };
  const out = (f.out as string | undefined) ?? 'runs/sllm';
  const amp = oneOfFlag(f, 'amp', ampModes);
  const maxMinutes = positiveFlag(f, 'max-minutes');
  const evalEvery = intFlag(f, 'eval-every', 0) ?? 500;
  const gamma = numFlag(f, 'gamma', 0) ?? 2;
  const seed = intFlag(f, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const maxSentences = intFlag(f, 'max-sentences', 2) ?? 64;
  const device = deviceFlag(f) ?? 'cpu';
  return {
    batchSize, maxSentences, device,
    trainer: {
      out, maxSteps, seed, recipe, globalBatch: batchSize, schedule,
      resume: f.resume === true && existsSync(join(out, 'checkpoint.safetensors')),
      evalEvery, gamma,
      ...(amp !== undefined ? { amp } : {}),
      ...(maxMinutes !== undefined ? { maxSeconds: maxMinutes * 60 } : {}),
    },
  };
}

export async function trainSllm(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(trainSllmUsage);
    return 0;
  }
  const f = parseFlags(argv, {
    recipe: 'string',
    model: 'string', data: 'string', out: 'string', 'max-steps': 'number', 'eval-every': 'number', 'batch-size': 'number',
    'max-sentences': 'number', lr: 'number', warmup: 'number', gamma: 'number', 'freeze-svae': 'boolean', 'freeze-llm': 'boolean',
    'max-minutes': 'number', device: 'string', amp: 'string', seed: 'number', resume: 'boolean',
    'stop-weight': 'number', 'stop-balanced': 'boolean',
  });
  const modelFlag = requiredFlag(f, 'model', '<dir>', trainSllmUsage);
  const plan = sllmTrainingPlan(f);
  const model = await localFolder(modelFlag, 'model');
  if (SentenceVAE.isSentenceVaeFolder(model)) {
    throw new InvalidArgumentError(`${model} is a SentenceVAE, not an SLLM: graft it onto an OPT first (\`sentencevae graft --opt <opt dir> --svae ${model} --out <dir>\`), or train it further with \`sentencevae train-vae\``);
  }
  if (!SLLM.isSllmFolder(model)) throw new InvalidArgumentError(`${model} is not an SLLM folder (run \`sentencevae graft --opt <dir> --out <dir>\` first)`);
  // An int8 folder loads (as int8) but cannot train: say so before the corpus is read.
  if (await savedAsInt8(model)) throw new DTypeError(`Expected a float SLLM folder for --model but received '${model}' of type string: it holds int8 weights (a quantized copy), and int8 is for inference only; train the float folder it was quantized from`);
  const out = plan.trainer.out;
  const seed = plan.trainer.seed ?? 0;
  const data = (f.data as string | undefined) ?? 'brown';
  // Checked before the model is loaded: the corpus can be read, the output folder can be made
  // and no other run is writing into it.
  await checkCorpus(data);
  await makeOutputDir(out);
  await checkRunFolderFree(out);
  const sllm = await SLLM.load(model, { device: plan.device, freezeSvae: f['freeze-svae'] === true, freezeLlm: f['freeze-llm'] === true });
  try {
    sllm.setStopLoss({
      ...(typeof f['stop-weight'] === 'number' ? { weight: f['stop-weight'] } : {}),
      balanced: f['stop-balanced'] === true,
    });
    const options = { maxTokens: sllm.config.svae.maxTokens, maxSentences: plan.maxSentences, validationFraction: 0.02 };
    const train = await ParagraphDataset.fromCorpus(data, sllm.tokenizer, { ...options, split: 'train' });
    const held = await ParagraphDataset.fromCorpus(data, sllm.tokenizer, { ...options, split: 'validation', limit: 1000 });
    console.error(`[train-sllm] ${sllm.parameterCount.toLocaleString('en-US')} parameters on ${sllm.device}; ${train.size} training paragraphs, ${held.size} held out`);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const trainer = new Trainer(sllm, plan.trainer);
      if (train.size === 0) throw new InvalidArgumentError(`${data} has no training paragraphs of 2 or more sentences`);
      if (held.size === 0) console.error('[train-sllm] no held-out paragraphs (the corpus is small): training without evaluation');
      const result = await trainer.run({
        batches: train.batches({ batchSize: plan.batchSize, seed }), signal: controller.signal,
        ...(held.size > 0 ? { validation: held } : {}),
      });
      console.error(`[train-sllm] stopped (${result.stopped}) at update ${result.step} after ${result.elapsedSeconds.toFixed(0)} s; model in ${join(out, 'final')}`);
      if (result.lastEval) console.log(JSON.stringify(result.lastEval));
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } finally {
    sllm.dispose();
  }
}
