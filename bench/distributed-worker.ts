/**
 * One worker of `npm run bench -- distributed` (a child process; alone or one rank of a group,
 * from RANK / WORLD_SIZE / MASTER_PORT): trains a SentenceVAE on Brown sentences with the Trainer
 * and prints, on rank 0, one JSON line: global tokens/s over the timed updates and the mean
 * all-reduce time per update.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { brownSentences, type PresetName, SentenceDataset, SentenceVAE, type StepReport, Trainer } from '../lib/index.js';

const job = JSON.parse(process.argv[2]!) as { preset: PresetName; batchSize: number; warmup: number; updates: number };
const out = mkdtempSync(join(tmpdir(), 'svae-bench-dist-'));
try {
  const vae = await SentenceVAE.create({ preset: job.preset, config: { dropout: 0 }, seed: 1 });
  const train = await SentenceDataset.fromParagraphs(await brownSentences(vae.tokenizer, 4096, 64), vae.tokenizer);
  let t0 = 0;
  let tokens = 0;
  let reduceSeconds = 0;
  const onStep = (r: StepReport) => {
    if (r.step === job.warmup) t0 = performance.now();
    else if (r.step > job.warmup) {
      tokens += r.tokens;
      reduceSeconds += r.allReduceSeconds;
    }
  };
  await new Trainer(vae, {
    out, maxSteps: job.warmup + job.updates, schedule: { baseLr: 1e-3, warmupSteps: 10 }, emaDecay: 0, evalEvery: 0, checkpointEvery: 1_000_000,
    progress: false, distributedTimeoutSeconds: 600,
  }).run({ batches: train.batches({ batchSize: job.batchSize, seed: 1 }), onStep });
  const seconds = (performance.now() - t0) / 1000;
  if ((process.env.RANK ?? '0') === '0' || process.env.RANK === '') {
    console.log(JSON.stringify({ tokensPerSecond: tokens / seconds, allReduceMsPerUpdate: (1000 * reduceSeconds) / job.updates, seconds, updates: job.updates, parameters: vae.parameterCount }));
  }
  vae.dispose();
} finally {
  rmSync(out, { recursive: true, force: true });
}
