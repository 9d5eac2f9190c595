/**
 * Issue 15, item 9: a run folder has one writer (a lock with the pid, created with O_EXCL; a
 * dead holder's lock is taken over), and what interrupted runs left (kill -9 mid-write, a full
 * disk) is removed when a run starts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { RunLockedError, Trainer } from '../../lib/index.js';
import { lockFileName } from '../../lib/internal.js';
import { tinySetup } from '../helpers/training.js';
import { cliPath, indexUrl, internalUrl, runBounded } from './bounded.js';

const out = () => mkdtempSync(join(tmpdir(), 'svae-runfolder-'));
const quiet = { progress: false, schedule: { baseLr: 3e-3, warmupSteps: 1, cosinePeriod: 50 }, evalEvery: 0 } as const;

test('leftovers of interrupted runs (checkpoint temp files, export folders) are cleaned when a run starts', async (t) => {
  const { vae, train } = await tinySetup(11);
  const dir = out();
  writeFileSync(join(dir, 'checkpoint.safetensors.tmp-4242-3735928559'), Buffer.alloc(4096)); // kill -9 during a checkpoint write
  mkdirSync(join(dir, 'best.tmp')); // a full disk during an export
  mkdirSync(join(dir, 'final.old')); // killed between the two renames of an export: final/ is missing
  writeFileSync(join(dir, 'final.old', 'marker'), 'previous export');
  writeFileSync(join(dir, 'notes.tmp-1-2'), 'not ours'); // other names are left alone
  const result = await new Trainer(vae, { ...quiet, out: dir, maxSteps: 2 }).run({ batches: train.batches({ batchSize: 8 }) });
  t.is(result.step, 2);
  const names = readdirSync(dir).sort();
  t.false(names.some((n) => n.includes('.safetensors.tmp-')), names.join(', '));
  t.false(names.includes('best.tmp'), names.join(', '));
  t.false(names.includes('final.old'), names.join(', '));
  t.true(names.includes('notes.tmp-1-2'));
  t.true(existsSync(join(dir, 'final', 'model.safetensors')));
  t.false(names.includes(lockFileName), 'the lock is released at the end');
  vae.dispose();
});

test('a second run on the same folder in this process is a RunLockedError naming the pid; the first run is undisturbed', async (t) => {
  const { vae, train } = await tinySetup(12);
  const dir = out();
  const controller = new AbortController();
  let second: Promise<RunLockedError | undefined> | undefined;
  const first = await new Trainer(vae, { ...quiet, out: dir, maxSteps: 1000 }).run({
    batches: train.batches({ batchSize: 8 }),
    signal: controller.signal,
    onStep: (r) => {
      if (r.step !== 1) return;
      second = t.throwsAsync(
        new Trainer(vae, { ...quiet, out: dir, maxSteps: 5 }).run({ batches: train.batches({ batchSize: 8 }) }).finally(() => controller.abort()),
        { instanceOf: RunLockedError },
      );
    },
  });
  const error = await second;
  t.is(error?.pid, process.pid);
  t.regex(error?.message ?? '', new RegExp(`The run folder .* is in use by process ${process.pid} .*lock file .*${lockFileName}`));
  t.is(first.stopped, 'aborted');
  t.false(existsSync(join(dir, lockFileName)));
  vae.dispose();
});

test('a lock held by another live process stops the Trainer and the CLI; after kill -9 the stale lock is taken over', async (t) => {
  const dir = out();
  const holder = spawn(process.execPath, ['--input-type=module', '-e',
    `const svae = await import(${JSON.stringify(internalUrl)}); await svae.lockRunFolder(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1 << 30);`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => holder.on('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      holder.on('exit', () => reject(new Error('the lock holder exited early')));
    });
    const { vae, train } = await tinySetup(13);
    const error = await t.throwsAsync(new Trainer(vae, { ...quiet, out: dir, maxSteps: 2 }).run({ batches: train.batches({ batchSize: 8 }) }), { instanceOf: RunLockedError });
    t.is(error?.pid, holder.pid ?? -1);

    const cli = await runBounded(process.execPath, [cliPath, 'train-vae', '--preset', 'tiny', '--out', dir, '--max-steps', '1']);
    t.is(cli.code, 1, cli.stderr);
    t.regex(cli.stderr, new RegExp(`in use by process ${holder.pid}`));
    t.notRegex(cli.stderr, /parameters/, 'stopped before building a model');
    t.false(existsSync(join(dir, 'run-config.json')), 'nothing written into the locked folder');

    holder.kill('SIGKILL');
    await exited;
    const result = await new Trainer(vae, { ...quiet, out: dir, maxSteps: 2 }).run({ batches: train.batches({ batchSize: 8 }) });
    t.is(result.step, 2, 'the dead holder\'s lock was taken over');
    t.false(existsSync(join(dir, lockFileName)));
    vae.dispose();
  } finally {
    holder.kill('SIGKILL');
  }
});

test('the lock is released when a run fails', async (t) => {
  const { vae, train } = await tinySetup(14);
  const dir = out();
  const real = train.batches({ batchSize: 8 });
  let calls = 0;
  const failing = {
    get position() { return real.position; },
    restore: (p: typeof real.position) => real.restore(p),
    next: () => {
      if (++calls > 2) throw new Error('the data source broke');
      return real.next();
    },
  };
  await t.throwsAsync(new Trainer(vae, { ...quiet, out: dir, maxSteps: 10 }).run({ batches: failing }), { message: 'the data source broke' });
  t.false(existsSync(join(dir, lockFileName)));
  const again = await new Trainer(vae, { ...quiet, out: dir, maxSteps: 2 }).run({ batches: train.batches({ batchSize: 8 }) });
  t.is(again.step, 2);
  vae.dispose();
});

// A full disk needs a small file system: a 512 KiB tmpfs in a private user + mount namespace
// (unshare -rm), which changes nothing outside the child.
test('a full disk during an export fails the run and leaves no empty best.tmp/, no temp files and no lock', async (t) => {
  if (spawnSync('unshare', ['-rm', 'true']).status !== 0) {
    t.log('skipped: this machine does not allow unshare -rm (user + mount namespaces)');
    t.pass();
    return;
  }
  const dir = out();
  const script = `const svae = await import(${JSON.stringify(indexUrl)});
    const vae = await svae.SentenceVAE.create({ preset: 'tiny', config: { hidden: 64, heads: 2, ffn: 128 }, seed: 1 });
    const sentences = await svae.brownSentences(vae.tokenizer, 40, 20);
    const train = await svae.SentenceDataset.fromParagraphs(sentences.slice(0, 32), vae.tokenizer);
    const report = {};
    try {
      await new svae.Trainer(vae, { progress: false, out: ${JSON.stringify(join(dir, 'run'))}, maxSteps: 3, evalEvery: 1, schedule: { baseLr: 1e-3, warmupSteps: 1 } })
        .run({ batches: train.batches({ batchSize: 8 }), validation: sentences.slice(32) });
      report.ok = true;
    } catch (e) { report.error = e.name + ': ' + e.message; }
    const fs = await import('node:fs');
    report.files = fs.readdirSync(${JSON.stringify(join(dir, 'run'))});
    console.log(JSON.stringify(report));`;
  const r = await runBounded('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=512k tmpfs "$0" && exec "$1" --input-type=module -e "$2"`, dir, process.execPath, script], 60_000);
  t.is(r.signal, null, `the child hung and was killed; stderr: ${r.stderr}`);
  const report = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ok?: boolean; error?: string; files?: string[] };
  t.regex(report.error ?? '', /No space left on device|ENOSPC/, r.stderr);
  t.false(report.files?.includes('best.tmp'), report.files?.join(', '));
  t.false(report.files?.some((f) => f.includes('.tmp-')), report.files?.join(', '));
  t.false(report.files?.includes(lockFileName), 'the lock is released on error');
});
