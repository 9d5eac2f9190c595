/**
 * Run limits at the command line: a train-sllm run stopped by --max-minutes still evaluates and
 * exports (the real CLI, spawned, over a tiny SLLM saved in a temp folder), and the default
 * warm-up is a fraction of a short run.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { brownParagraphs, SLLM } from '../../lib/index.js';
import { planTrainVae } from '../../lib/cli/trainVae.js';
import { sllmTrainingPlan } from '../../lib/cli/trainSllm.js';
import { defaultWarmup } from '../../lib/cli/warmup.js';
import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const cli = (args: string[]) => run(process.execPath, [join(packageRoot, 'dist', 'lib', 'cli', 'main.js'), ...args]);

test('train-sllm stopped by --max-minutes evaluates its last weights and exports final/', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-cli-limits-'));
  const model = join(dir, 'sllm');
  {
    await using sllm = await SLLM.create({ svae: { preset: 'tiny' }, llm: { layers: 1 }, seed: 1 });
    await sllm.save(model);
  }
  const corpus = join(dir, 'paragraphs.txt');
  writeFileSync(corpus, (await brownParagraphs(300)).join('\n\n'));
  const out = join(dir, 'run');
  // 0.0001 minutes: the time limit ends the run long before --max-steps (or --eval-every) does.
  const r = await cli(['train-sllm', '--model', model, '--data', corpus, '--out', out, '--max-minutes', '0.0001', '--max-steps', '100000', '--batch-size', '2']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /stopped \(max-seconds\) at update \d+/);
  t.true(existsSync(join(out, 'final', 'config.json')), 'final/ exported');
  t.true(existsSync(join(out, 'checkpoint.safetensors')), 'checkpoint written');
  const lastEval = JSON.parse(r.stdout.trim()) as { ppl: number; step: number };
  t.true(Number.isFinite(lastEval.ppl), 'the held-out evaluation of the final weights is printed');
  const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number }).filter((m) => m.type === 'eval');
  t.deepEqual(evals.map((e) => e.step), [lastEval.step]);
});

test('the default warm-up is 10% of --max-steps, at most 500; --warmup and the paper recipe still win', async (t) => {
  t.is(defaultWarmup(40), 4);
  t.is(defaultWarmup(3), 1);
  t.is(defaultWarmup(100_000), 500);
  const dir = mkdtempSync(join(tmpdir(), 'svae-cli-warmup-'));
  t.is((await planTrainVae(['--out', dir, '--max-steps', '40'])).trainer.schedule?.warmupSteps, 4);
  t.is((await planTrainVae(['--out', dir])).trainer.schedule?.warmupSteps, 500, 'the 10000-step default keeps 500');
  t.is((await planTrainVae(['--out', dir, '--max-steps', '40', '--warmup', '0'])).trainer.schedule?.warmupSteps, 0);
  t.is((await planTrainVae(['--out', dir, '--max-steps', '40', '--recipe', 'paper'])).trainer.schedule?.warmupSteps, undefined, 'paper: the recipe\'s 5000');
  t.is(sllmTrainingPlan({ 'max-steps': 40 }).trainer.schedule?.warmupSteps, 4);
  t.is(sllmTrainingPlan({}).trainer.schedule?.warmupSteps, 500, 'the 5000-step default keeps 500');
  t.is(sllmTrainingPlan({ 'max-steps': 40, warmup: 7 }).trainer.schedule?.warmupSteps, 7);
});
