/**
 * The Trainer prints nothing when told `progress: false`, or when the caller passes `onStep`
 * (it shows progress itself) — checked on the real stdout and stderr of a child process that
 * trains a tiny SentenceVAE (steps, an evaluation, a checkpoint, a resume).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';

import { etaSeconds } from '../../lib/train/Trainer.js';
import { formatProgress } from '../../lib/train/progress.js';
import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const dir = mkdtempSync(join(tmpdir(), 'svae-quiet-'));
const script = join(dir, 'train.mjs');
const sentences = [
  'The jury said it was fine.', 'It was late.', 'Nobody came to the court.', 'The judge left early.', 'Rain fell all day.',
  'She read the report twice.', 'The city hall was empty.', 'He asked for more time.', 'They voted in the morning.',
  'The bill was passed.', 'A new road was built.', 'The school opened in May.', 'Prices rose again.', 'The team won at home.',
  'We met at noon.', 'The river was high.', 'The doors were locked.', 'He wrote a short letter.', 'It was a quiet week.', 'The office closed.',
];
const lib = pathToFileURL(join(packageRoot, 'dist', 'lib', 'index.js')).href;
// mode: 'default' | 'progress-false' | 'on-step' | 'on-step-progress-true'. Each run trains 4 updates
// (metrics line every update, an eval and a checkpoint at 2 and 4), then resumes to 6.
writeFileSync(script, `
import { SentenceDataset, SentenceVAE, Trainer } from ${JSON.stringify(lib)};
const [mode, out] = process.argv.slice(2);
const vae = await SentenceVAE.create({ preset: 'tiny', config: { hidden: 32, heads: 2, ffn: 64 }, seed: 1 });
const sentences = ${JSON.stringify(sentences)};
const train = await SentenceDataset.fromParagraphs(sentences.slice(0, 16), vae.tokenizer);
const held = sentences.slice(16);
const options = { out, schedule: { baseLr: 1e-3, warmupSteps: 1 }, evalEvery: 2, logEvery: 1, ...(mode === 'progress-false' ? { progress: false } : mode === 'on-step-progress-true' ? { progress: true } : {}) };
if (mode === 'budget') {
  // A run bounded only by a schedule over wall time, on a clock that advances 50 ms per reading.
  let now = 0;
  const clock = () => (now += 50);
  await new Trainer(vae, { out, schedule: { baseLr: 1e-3, budgetSeconds: 4 }, evalEvery: 0, logEvery: 1, clock })
    .run({ batches: train.batches({ batchSize: 8, seed: 1 }) });
  vae.dispose();
  process.exit(0);
}
let steps = 0;
const callbacks = mode.startsWith('on-step') ? { onStep: () => steps++ } : {};
await new Trainer(vae, { ...options, maxSteps: 4 }).run({ batches: train.batches({ batchSize: 8, seed: 1 }), validation: held, ...callbacks });
await new Trainer(vae, { ...options, maxSteps: 6, resume: true }).run({ batches: train.batches({ batchSize: 8, seed: 1 }), validation: held, ...callbacks });
vae.dispose();
if (mode.startsWith('on-step') && steps !== 6) process.exitCode = 3;
`);

const train = (mode: string) => run(process.execPath, [script, mode, join(dir, mode)]);

for (const mode of ['progress-false', 'on-step']) {
  test(`${mode}: the Trainer writes nothing to stdout or stderr`, async (t) => {
    const r = await train(mode);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, '');
    t.is(r.stderr, '');
  });
}

test('by default (and with onStep plus progress: true) it shows progress, evaluations and the resume on stderr', async (t) => {
  for (const mode of ['default', 'on-step-progress-true']) {
    const r = await train(mode);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, '');
    t.regex(r.stderr, /step 1\/4 \[/, mode);
    t.regex(r.stderr, /eval @ 2:/, mode);
    t.regex(r.stderr, /resumed from .* at step 4/, mode);
  }
});

test('the ETA is the sooner of the steps left and the time budget left', (t) => {
  t.is(etaSeconds(100, 1, 30), 30, 'max-seconds ends first');
  t.is(etaSeconds(10, 2, 30), 5, 'max-steps ends first');
  t.is(etaSeconds(10, 0, Infinity), Infinity, 'no rate yet, no time limit');
  t.is(etaSeconds(10, 1, -2), 0, 'past the budget');
  t.regex(formatProgress({ step: 5, maxSteps: 100, loss: 1, lr: 1e-3, tokensPerSecond: 10, etaSeconds: etaSeconds(95, 1, 60) }), /ETA 1:00$/);
});

test('a run bounded by a time budget alone shows no step total, a bar by time and an ETA within the budget', async (t) => {
  const r = await train('budget');
  t.is(r.code, 0, r.stderr);
  const lines = r.stderr.split(/[\r\n]+/).filter((l) => l.startsWith('step '));
  t.true(lines.length > 0, r.stderr);
  for (const line of lines) {
    t.notRegex(line, /step \d+\//, line); // no "/9007199254740991"
    const eta = /ETA (\d+):(\d\d)$/.exec(line);
    t.truthy(eta, line); // minutes:seconds, not thousands of hours
    t.true(Number(eta![1]) * 60 + Number(eta![2]) <= 4, line);
  }
  t.regex(lines.at(-1)!, /\[=+>? *\]/);
});

test('formatProgress draws the bar from the fraction when given (time-bounded runs)', (t) => {
  const line = formatProgress({ step: 7, maxSteps: Number.MAX_SAFE_INTEGER, loss: 1, lr: 1e-3, tokensPerSecond: 10, etaSeconds: 30, fraction: 0.5 });
  t.regex(line, /^step 7 \[=+> +\]/);
  t.is(/\[(.*)\]/.exec(line)![1]!.replace(/ /g, '').length, 12);
});
