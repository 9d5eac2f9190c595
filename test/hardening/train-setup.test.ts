/**
 * Issue 15, item 10: training setup errors surface before any work (no model built, no step
 * taken), not at the first evaluation or after building the model.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { brownSentences, FormatError, InvalidArgumentError, Tokenizer, Trainer } from '../../lib/index.js';
import { checkCorpus } from '../../lib/internal.js';
import { packageRoot } from '../../lib/native/loader.js';
import { tinySetup } from '../helpers/training.js';
import { cliPath, runBounded } from './bounded.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'svae-setup-'));
const quiet = { progress: false, schedule: { baseLr: 3e-3, warmupSteps: 1, cosinePeriod: 50 } } as const;

test('Trainer.run with empty validation data fails before the first step', async (t) => {
  const { vae, train } = await tinySetup(21);
  const dir = scratch();
  let steps = 0;
  const error = await t.throwsAsync(
    new Trainer(vae, { ...quiet, out: dir, maxSteps: 5, evalEvery: 2 }).run({ batches: train.batches({ batchSize: 8 }), validation: [], onStep: () => steps++ }),
    { instanceOf: InvalidArgumentError },
  );
  t.regex(error?.message ?? '', /Expected non-empty data for validation but received 0 items/);
  t.is(steps, 0, 'no update was made');
  t.false(existsSync(join(dir, 'checkpoint.safetensors')));
  vae.dispose();
});

test('train-vae --data nofile.txt says the file is missing before building a model or writing anything', async (t) => {
  const dir = scratch();
  const out = join(dir, 'run');
  const r = await runBounded(process.execPath, [cliPath, 'train-vae', '--preset', 'tiny', '--data', join(dir, 'nofile.txt'), '--out', out, '--max-steps', '1']);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /nofile\.txt: no such file or folder/);
  t.notRegex(r.stderr, /parameters/, 'no model was built');
  t.false(existsSync(join(out, 'run-config.json')));
  const ev = await runBounded(process.execPath, [cliPath, 'eval', '--model', join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln'), '--data', join(dir, 'nofile.txt')]);
  t.is(ev.code, 1, ev.stderr);
  t.regex(ev.stderr, /sentencevae eval: .*nofile\.txt: no such file or folder/);
});

test('checkCorpus refuses a missing path, an empty folder and a folder without text files; accepts brown and text', async (t) => {
  const dir = scratch();
  await t.throwsAsync(checkCorpus(join(dir, 'missing')), { instanceOf: FormatError, message: /missing: no such file or folder/ });
  mkdirSync(join(dir, 'empty'));
  await t.throwsAsync(checkCorpus(join(dir, 'empty')), { instanceOf: FormatError, message: /empty: the folder holds no text files/ });
  writeFileSync(join(dir, 'a.txt'), 'One sentence. Another one.\n');
  await t.notThrowsAsync(checkCorpus(['brown', dir, join(dir, 'a.txt')]));
  await t.throwsAsync(checkCorpus(null as unknown as string), { instanceOf: InvalidArgumentError });
});

test('train-vae on a corpus with no held-out sentences trains without evaluation instead of failing at the first one', async (t) => {
  const dir = scratch();
  const corpus = join(dir, 'corpus.txt');
  const sentences = await brownSentences(await Tokenizer.builtin('gpt2-opt-4k'), 40, 20);
  writeFileSync(corpus, sentences.map((s) => s.trim()).join('\n\n'));
  const config = join(dir, 'cfg.json');
  writeFileSync(config, JSON.stringify({ preset: 'tiny', batchSize: 8, warmup: 1, validationFraction: 0, model: { hidden: 64, heads: 2, ffn: 128 } }));
  const out = join(dir, 'run');
  const r = await runBounded(process.execPath, [cliPath, 'train-vae', '--config', config, '--data', corpus, '--out', out, '--max-steps', '2', '--eval-every', '1'], 120_000);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /no held-out sentences .* training without evaluation/);
  t.true(existsSync(join(out, 'final', 'model.safetensors')));
});
