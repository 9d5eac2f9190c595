/**
 * The package's worker threads (the tokenizer split, LibTorch's preload) start with the parent's
 * execArgv where Node allows it: a per-process flag such as `--trace-gc` makes `new Worker` throw
 * ERR_WORKER_INVALID_EXEC_ARGV, and loading a model under a profiling flag used to fail with it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

test('loading a tokenizer and a model works under per-process node flags (--trace-gc)', async (t) => {
  const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  const script = `
    const { OPT, Tokenizer } = await import(${JSON.stringify(join(packageRoot, 'dist', 'lib', 'index.js'))});
    const tokenizer = await Tokenizer.fromPretrained(${JSON.stringify(fixture)});
    const opt = await OPT.load(${JSON.stringify(fixture)});
    console.log(JSON.stringify({ vocab: tokenizer.vocabSize, params: opt.parameterCount }));
    opt.dispose();`;
  const file = join(mkdtempSync(join(tmpdir(), 'svae-worker-flags-')), 'load.mjs');
  writeFileSync(file, script);
  const r = await run(process.execPath, ['--trace-gc', file]);
  t.is(r.code, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { vocab: number; params: number };
  t.true(last.vocab > 0 && last.params > 0);
});
