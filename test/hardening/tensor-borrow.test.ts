// Issue 15, item 1: a borrowed tensor whose ArrayBuffer is transferred away (structuredClone with
// `transfer`), collected and its memory reused must never be read: toArray(), view(), to() and ops
// throw DisposedError. The scenario runs in a child process with --expose-gc, so a crash (the
// old SIGSEGV) is a failed test, not a dead test runner.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';

import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const script = (lib: string) => `
import { DisposedError, Tensor, matmul } from ${JSON.stringify(lib)};

const outcome = async (fn) => {
  try {
    await fn();
    return 'ok';
  } catch (error) {
    return (error instanceof DisposedError ? 'DisposedError: ' : 'OTHER ' + error?.constructor?.name + ': ') + error.message;
  }
};

// Large enough that the allocator returns it to the system (mmap) when freed.
const a = new Float32Array(4 * 1024 * 1024).fill(1.5);
const t = Tensor.borrow(a, { shape: [2048, 2048] });
const before = (await t.toArray())[0];
structuredClone(a.buffer, { transfer: [a.buffer] }); // the clone is dropped at once
for (let i = 0; i < 5; i++) {
  globalThis.gc();
  const junk = [];
  for (let k = 0; k < 20; k++) junk.push(new Float64Array(1024 * 1024).fill(k));
}
const results = {
  before,
  toArray: await outcome(() => t.toArray()),
  view: await outcome(() => t.view()),
  to: await outcome(() => t.to('cpu', 'float64')),
  matmul: await outcome(() => matmul(t, t)),
  shape: t.shape,
};
t.dispose();
console.log(JSON.stringify(results));
`;

test('a borrowed tensor whose buffer was transferred and collected throws DisposedError (no crash)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-borrow-'));
  const file = join(dir, 'borrow.mjs');
  writeFileSync(file, script(pathToFileURL(join(packageRoot, 'dist', 'lib', 'index.js')).href));
  const r = await run(process.execPath, ['--expose-gc', file]);
  t.is(r.code, 0, `the child exited with ${r.code}: ${r.stderr}`);
  const results = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  t.is(results.before, 1.5, 'the tensor read its memory before the transfer');
  for (const call of ['toArray', 'view', 'to', 'matmul']) {
    t.regex(String(results[call]), /^DisposedError: .*detached \(transferred/, `${call}: ${String(results[call])}`);
  }
  t.deepEqual(results.shape, [2048, 2048], 'metadata stays readable');
});
