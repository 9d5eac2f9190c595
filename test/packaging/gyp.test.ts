import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

// A cold node-gyp build takes minutes: CI sets SENTENCEVAE_GYP_TEST=1 (see .ci/run).
const enabled = process.env.SENTENCEVAE_GYP_TEST === '1';

(enabled ? test : test.skip)('npm run build:gyp builds the same addon and the foundation tests pass against it', async (t) => {
  const build = await run('npm', ['run', 'build:gyp'], { cwd: packageRoot });
  t.is(build.code, 0, build.stderr.slice(-3000));
  const dir = join(packageRoot, 'dist', 'test', 'foundation');
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).map((f) => join(dir, f));
  const ava = join(packageRoot, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
  const env = {
    ...process.env,
    SENTENCEVAE_ADDON: join(packageRoot, 'build', 'Release', 'sentencevae.node'),
    SENTENCEVAE_EXPECT_BUILD_SYSTEM: 'node-gyp',
  };
  const tests = await run(process.execPath, [ava, ...files], { cwd: packageRoot, env });
  t.is(tests.code, 0, `${tests.stdout.slice(-3000)}\n${tests.stderr.slice(-2000)}`);
  t.regex(tests.stdout + tests.stderr, /\d+ tests? passed/);
});
