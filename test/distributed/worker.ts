/**
 * One rank of the distributed tests (run as a child process; never an ava test itself). Reads
 * its placement from the environment (RANK, WORLD_SIZE, MASTER_PORT, ... as the launcher sets
 * them) and its job from argv[2] (JSON), trains a tiny SentenceVAE or SLLM with the Trainer and
 * writes its final live weights to `<dump>/rank<R>.safetensors`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  brownSentences, ParagraphDataset, saveSafetensors, segment, SentenceDataset, SentenceVAE, SLLM, Trainer, type TrainerOptions,
} from '../../lib/index.js';

export interface WorkerJob {
  kind: 'svae' | 'sllm';
  out: string;
  dump: string;
  /** Global batch (items over all ranks per micro-batch). */
  batchSize: number;
  accumulation: number;
  maxSteps: number;
  checkpointEvery?: number;
  resume?: boolean;
  timeoutSeconds: number;
  /** Rank that SIGKILLs itself after this many updates (a worker dying mid-run). */
  killRank?: number;
  killAtStep?: number;
}

const job = JSON.parse(process.argv[2]!) as WorkerJob;
const rank = Number(process.env.RANK ?? 0);

async function main(): Promise<void> {
  const trainer: TrainerOptions = {
    out: job.out, maxSteps: job.maxSteps, schedule: { baseLr: 3e-3, warmupSteps: 2 }, accumulation: job.accumulation,
    // 'sentence': per rank a mean over its sentences; equal counts per rank make the ranks'
    // average exactly the one-process mean (docs/distributed.md).
    lossReduction: 'sentence', emaDecay: 0, evalEvery: 0, checkpointEvery: job.checkpointEvery ?? 1000, logEvery: 1,
    progress: false, resume: job.resume ?? false, distributedTimeoutSeconds: job.timeoutSeconds, seed: 5,
  };
  const onStep = (r: { step: number }) => {
    if (rank === job.killRank && r.step === job.killAtStep) process.kill(process.pid, 'SIGKILL');
  };
  let model: SentenceVAE | SLLM;
  let run: Promise<unknown>;
  const dump = async (name: string) => {
    mkdirSync(job.dump, { recursive: true });
    const weights = model.namedTensors();
    await saveSafetensors(join(job.dump, name), weights);
    for (const t of weights.values()) t.dispose();
  };
  if (job.kind === 'svae') {
    const vae = await SentenceVAE.create({ preset: 'tiny', config: { dropout: 0, hidden: 32, heads: 2, ffn: 64 }, seed: 1 });
    model = vae;
    const sentences = await brownSentences(vae.tokenizer, 64, 24);
    const train = await SentenceDataset.fromParagraphs(sentences, vae.tokenizer);
    if (rank === 0) await dump('initial.safetensors');
    run = new Trainer(vae, trainer).run({ batches: train.batches({ batchSize: job.batchSize, seed: 2 }), onStep });
  } else {
    const sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0, hidden: 32, heads: 2, ffn: 64 }, llm: { layers: 1, ffn: 64 }, seed: 1 });
    model = sllm;
    // Paragraphs of exactly three sentences: every rank then holds as many sentences as the others.
    const pieces = (await brownSentences(sllm.tokenizer, 200, 20)).map((s) => s.trim()).filter((s) => /[.,;:!?]$/.test(s));
    const paragraphs: string[] = [];
    for (let i = 0; i + 3 <= pieces.length && paragraphs.length < 24; i += 3) {
      const p = pieces.slice(i, i + 3).join(' ');
      if (segment(p).length === 3) paragraphs.push(p);
    }
    const train = await ParagraphDataset.fromParagraphs(paragraphs, sllm.tokenizer, { maxSentences: 3 });
    if (rank === 0) await dump('initial.safetensors');
    run = new Trainer(sllm, trainer).run({ batches: train.batches({ batchSize: job.batchSize, seed: 2 }), onStep });
  }
  try {
    await run;
    await dump(`rank${rank}.safetensors`);
  } finally {
    model.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const e = error as { name?: string; message?: string };
    process.stderr.write(`worker rank ${rank}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}\n`);
    process.exit(1);
  },
);
