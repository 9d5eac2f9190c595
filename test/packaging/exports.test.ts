// Issue 16, "Module formats and typings": internal readers are not part of the package root;
// require('sentencevae') works (Node >= 20.19 requires the ES module; older Node 20 gets load()
// and a clear error); the public declarations bring @types/node themselves.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import * as root from '../../lib/index.js';
import * as internal from '../../lib/internal.js';
import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const internalNames = [
  'readZipDirectory', 'readZipEntry', 'parseStateDictPickle', 'openRegularFile', 'readRegularFile', 'readTextFile', 'makeOutputDir',
  'maxJsonBytes', 'maxTokenizerBytes', 'checkCorpus', 'lockRunFolder', 'checkRunFolderFree', 'cleanStaleFiles', 'lockFileName',
  'createRng', 'hashString', 'CursorBatches', 'paragraphRow', 'padRows',
];

test('internal readers are not exported from the package root, and stay importable from lib/internal', (t) => {
  for (const name of internalNames) {
    t.false(name in root, `${name} is not a root export`);
    t.not((internal as Record<string, unknown>)[name], undefined, `${name} is in lib/internal`);
  }
  // The public surface keeps its loaders.
  for (const name of ['loadSafetensors', 'loadTorchCheckpoint', 'readOptConfig', 'SentenceVAE', 'MissingOptionalPackageError']) t.true(name in root, name);
});

test('the package exports only the root (and package.json): lib/internal is not reachable by consumers', (t) => {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  t.deepEqual(Object.keys(pkg.exports).sort(), ['.', './package.json']);
});

const cjsScript = `
const svae = require('sentencevae');
const attempt = (f) => { try { return f(); } catch (e) { return e.code + ': ' + e.message; } };
svae.load().then((m) => {
  console.log(JSON.stringify({
    viaLoad: m.segment('A b. C d.'),
    direct: attempt(() => svae.segment('A b. C d.')),
    sameClass: attempt(() => svae.SentenceVAE === m.SentenceVAE),
  }));
});`;

test("require('sentencevae') gives the whole API on this Node (require of an ES module) and load()", async (t) => {
  const r = await run(process.execPath, ['-e', cjsScript], { cwd: packageRoot });
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { viaLoad: string[]; direct: unknown; sameClass: unknown };
  t.deepEqual(out.viaLoad, ['A b.', ' C d.']);
  t.deepEqual(out.direct, ['A b.', ' C d.']);
  t.true(out.sameClass);
});

test("require('sentencevae') where Node cannot require ES modules: load() works, anything else says what to do", async (t) => {
  // Node 20.0-20.18 behave like this flag (no require(esm)).
  const r = await run(process.execPath, ['--no-experimental-require-module', '-e', cjsScript], { cwd: packageRoot });
  if (/bad option/.test(r.stderr)) {
    t.log(`this Node (${process.version}) has no --no-experimental-require-module`);
    t.pass();
    return;
  }
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { viaLoad: string[]; direct: string };
  t.deepEqual(out.viaLoad, ['A b.', ' C d.']);
  t.regex(out.direct, /^ERR_SVAE_REQUIRE_ESM: sentencevae is an ES module .* cannot require\(\) it .*require\('sentencevae'\)\.load\(\)/);
});

test('the public declarations reference @types/node, and @types/node is a dependency', (t) => {
  const dts = readFileSync(join(packageRoot, 'dist', 'lib', 'index.d.ts'), 'utf8');
  t.regex(dts, /^\/\/\/ <reference types="node"/m);
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  t.truthy(pkg.dependencies['@types/node']);
});
