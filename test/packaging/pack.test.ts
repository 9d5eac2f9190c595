import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

// Installs the packed tarball into a fresh app and builds the addon there (minutes, needs the
// npm registry for the dependencies): CI sets SENTENCEVAE_PACK_TEST=1 (see .ci/run).
const enabled = process.env.SENTENCEVAE_PACK_TEST === '1';

const probe = `
import('sentencevae').then(async (m) => {
  const x = await m.Tensor.from(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
  const y = await m.matmul(x, x);
  console.log(JSON.stringify({ version: m.info().libtorchVersion, y: Array.from(await y.toArray()) }));
}).catch((e) => { console.error(e.name + ': ' + e.message); process.exit(3); });`;

(enabled ? test : test.skip)('npm pack -> npm install in a fresh app -> import works', async (t) => {
  const app = mkdtempSync(join(tmpdir(), 'svae-consumer-'));
  const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', app], { cwd: packageRoot });
  t.is(pack.code, 0, pack.stderr);
  const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'));
  t.truthy(tarball);
  t.is((await run('npm', ['init', '-y'], { cwd: app })).code, 0);

  // As when npm skips the dependency's install script (--ignore-scripts, strict-allow-scripts, a denial).
  const install = await run('npm', ['install', '--ignore-scripts', `./${tarball}`], { cwd: app });
  t.is(install.code, 0, install.stderr.slice(-3000));
  const before = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
  t.is(before.code, 3);
  t.regex(before.stderr, /AddonLoadError: .*could not load the native addon/);
  t.regex(before.stderr, /npm install-scripts approve sentencevae && npm rebuild sentencevae/);

  // What the loader's message tells a consumer to do.
  t.is((await run('npm', ['install-scripts', 'approve', 'sentencevae'], { cwd: app })).code, 0);
  const rebuild = await run('npm', ['rebuild', 'sentencevae'], { cwd: app });
  t.is(rebuild.code, 0, rebuild.stderr.slice(-3000));
  const after = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
  t.is(after.code, 0, after.stderr);
  const result = JSON.parse(after.stdout) as { version: string; y: number[] };
  t.regex(result.version, /^\d+\.\d+\.\d+$/);
  t.deepEqual(result.y, [7, 10, 15, 22]);
});
