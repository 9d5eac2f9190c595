// Options of distributed training that need no process group: the paper's learning-rate rule,
// the Trainer's `distributed` option, and the launcher's argument errors.
import test from 'ava';

import { InvalidArgumentError, SentenceVAE, Trainer } from '../../lib/index.js';
import { cliScript, runNode } from './helpers.js';

test('lrPerSample: the base learning rate is the per-item rate times the global batch; with baseLr too it is an error', async (t) => {
  await using vae = await SentenceVAE.create({ preset: 'tiny', config: { hidden: 32, heads: 2, ffn: 64 } });
  const trainer = new Trainer(vae, { out: 'unused', maxSteps: 1, lrPerSample: 1e-7, globalBatch: 4 * 128 });
  t.true(Math.abs(trainer.options.schedule.baseLr - 5.12e-5) < 1e-18);
  t.is(new Trainer(vae, { out: 'unused', maxSteps: 1, lrPerSample: 1e-6, accumulation: 2 }).options.schedule.baseLr, 1e-6 * 128 * 2, 'the recipe batch per device × accumulation');
  t.throws(() => new Trainer(vae, { out: 'unused', maxSteps: 1, lrPerSample: 1e-7, schedule: { baseLr: 1 } }), { instanceOf: InvalidArgumentError, message: /either lrPerSample or schedule.baseLr/ });
  t.throws(() => new Trainer(vae, { out: 'unused', maxSteps: 1, schedule: { baseLr: 1 }, distributed: 'yes' as 'env' }), { instanceOf: InvalidArgumentError, message: /Expected a DistributedContext, 'env' or 'off' for distributed but received 'yes' of type string/ });
});

test('launch: missing pieces of the command line are clear errors', async (t) => {
  const noCommand = await runNode([cliScript, 'launch', '--nproc-per-node', '2'], {}, 30_000);
  t.is(noCommand.code, 2);
  t.regex(noCommand.stderr, /expected -- and a command/);
  const noCount = await runNode([cliScript, 'launch', '--', 'train-vae'], {}, 30_000);
  t.is(noCount.code, 1);
  t.regex(noCount.stderr, /Expected --nproc-per-node N \(workers on this machine\) but it is missing/);
  const badTarget = await runNode([cliScript, 'launch', '--nproc-per-node', '2', '--', 'serve'], {}, 30_000);
  t.is(badTarget.code, 1);
  t.regex(badTarget.stderr, /Expected train-vae, train-sllm or a script \(.js, .mjs, .cjs\) after -- but received 'serve'/);
  const badRank = await runNode([cliScript, 'launch', '--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '2', '--', 'train-vae'], {}, 30_000);
  t.is(badRank.code, 1);
  t.regex(badRank.stderr, /--node-rank/);
});
