#!/usr/bin/env node
/**
 * `npm run mutate [-- <module> ...]`: Stryker mutation testing, one module at a time, each with
 * only the ava files that test it (compiled to dist/). Modules: lib/text, lib/io, lib/data,
 * lib/train/schedule.ts, lib/models/sampling.ts, lib/validate.ts (default: all), or one file of a
 * module (e.g. lib/text/segment.ts: that file, with its module's tests). Prints each
 * module's mutation score and writes Stryker's JSON report to bench/results/mutation/.
 * Slow on purpose (every mutant runs the module's tests): not part of CI or `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const units = 'dist/test/hardening/mutation-units.test.js';
const mut = (name) => `dist/test/mutation/${name}.test.js`;
/** Each module: what Stryker mutates and the (fast, model-free) tests that must catch it. */
export const modules = {
  'lib/text': { globs: ['lib/text/**/*.ts'], tests: ['dist/test/text/*.test.js', units, 'dist/test/hardening/mutation-text.test.js', mut('text'), mut('tokenizer'), mut('batch'), mut('stop-text'), mut('pretoken-cache'), mut('hf-tokenizer-async')] },
  'lib/io': { globs: ['lib/io/**/*.ts'], tests: ['dist/test/io/*.test.js', units, 'dist/test/hardening/mutation-io.test.js', 'dist/test/hardening/zip-crc.test.js', mut('safetensors'), mut('zip'), mut('json'), mut('torch-checkpoint'), mut('hub-pure'), mut('hub-options'), mut('hub-progress')] },
  'lib/data': { globs: ['lib/data/**/*.ts'], tests: ['dist/test/data/*.test.js', 'dist/test/hardening/mutation-data.test.js', mut('data'), mut('packed'), mut('token-rows'), mut('sentence-dataset'), mut('paragraph-dataset'), mut('position'), mut('corpus'), mut('lines'), mut('brown')] },
  'lib/train/schedule.ts': { globs: ['lib/train/schedule.ts'], tests: ['dist/test/train/schedule.test.js', 'dist/test/hardening/mutation-schedule.test.js'] },
  'lib/models/sampling.ts': { globs: ['lib/models/sampling.ts'], tests: [units] },
  'lib/validate.ts': { globs: ['lib/validate.ts'], tests: ['dist/test/foundation/errors.test.js', 'dist/test/hardening/mutation-validate.test.js'] },
};
/**
 * Single files with the narrowest tests that cover them (a mutant costs one ava start plus
 * these tests): `npm run mutate -- lib/io/zip.ts`. A file not listed here gets its module's tests.
 */
export const files = {
  'lib/text/segment.ts': ['dist/test/text/segment.test.js', mut('segment')],
  'lib/io/safetensors.ts': ['dist/test/io/safetensors.test.js', units, mut('safetensors')],
  'lib/io/torchPickle.ts': [units, 'dist/test/hardening/mutation-io.test.js'],
  'lib/io/zip.ts': [mut('zip')],
  'lib/io/json.ts': [mut('json')],
  'lib/io/torchCheckpoint.ts': [mut('torch-checkpoint')],
  'lib/io/hub/repoId.ts': [mut('hub-pure')],
  'lib/io/hub/select.ts': [mut('hub-pure')],
  'lib/io/hub/options.ts': [mut('hub-pure'), mut('hub-options')],
  'lib/io/hub/progress.ts': ['dist/test/hub/progress.test.js', mut('hub-progress')],
  'lib/text/ids.ts': ['dist/test/hardening/fuzz-helpers.test.js'],
  'lib/text/pieces.ts': ['dist/test/text/batch.test.js', 'dist/test/hardening/fuzz-helpers.test.js', mut('pieces')],
  'lib/data/rng.ts': ['dist/test/hardening/fuzz-helpers.test.js', 'dist/test/text/batch.test.js', mut('rng')],
  'lib/data/packed.ts': [mut('packed')],
  'lib/text/Tokenizer.ts': [mut('tokenizer')],
  'lib/text/batch.ts': ['dist/test/text/batch.test.js', mut('batch')],
  'lib/text/stopText.ts': ['dist/test/serve/engine-stoptext.test.js', mut('stop-text')],
  'lib/text/PretokenCache.ts': [mut('pretoken-cache')],
  'lib/text/byteLevelJson.ts': [mut('tokenizer')],
  'lib/text/hfTokenizerAsync.ts': [mut('hf-tokenizer-async')],
  'lib/text/tokenizerWorker.ts': [mut('hf-tokenizer-async')],
  'lib/data/tokenRows.ts': [mut('token-rows')],
  'lib/data/SentenceDataset.ts': [mut('sentence-dataset')],
  'lib/data/ParagraphDataset.ts': [mut('paragraph-dataset')],
  'lib/data/position.ts': [mut('position')],
  'lib/data/corpus.ts': [mut('corpus')],
  'lib/data/lines.ts': [mut('lines')],
  'lib/data/brown.ts': [mut('brown')],
};
for (const [file, tests] of Object.entries(files)) modules[file] = { globs: [file], tests };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
// --force: test every mutant again (otherwise: incremental, see below).
const force = process.argv.includes('--force');
const selected = wanted.length > 0 ? wanted : ['lib/text', 'lib/io', 'lib/data', 'lib/train/schedule.ts', 'lib/models/sampling.ts', 'lib/validate.ts'];
for (const name of selected) {
  const parent = Object.keys(modules).find((m) => name.startsWith(`${m}/`));
  if (!modules[name] && parent && name.endsWith('.ts')) modules[name] = { globs: [name], tests: modules[parent].tests };
  if (!modules[name]) {
    console.error(`unknown module '${name}'; known: ${Object.keys(modules).join(', ')}`);
    process.exit(2);
  }
}

const addon = process.env.SENTENCEVAE_ADDON ?? ['build/cmake/Release/sentencevae.node', 'build/Release/sentencevae.node'].map((p) => join(root, p)).find(existsSync);
const scores = [];
for (const name of selected) {
  const m = modules[name];
  const tests = m.tests.filter((t) => t.includes('*') || existsSync(join(root, t)));
  const started = Date.now();
  const report = join(root, 'bench', 'results', 'mutation', `${name.replace(/[^\w.-]+/g, '_')}.json`);
  const incremental = report.replace(/\.json$/, '.incremental.json');
  if (force) rmSync(incremental, { force: true });
  else if (existsSync(incremental)) {
    // Stryker reuses a mutant's result when its code is unchanged and "no test changed"; the
    // command runner reports no test files, so a survivor would stay a survivor after new tests
    // were written. Keep only the killed ones: every other mutant is tested again.
    const previous = JSON.parse(readFileSync(incremental, 'utf8'));
    let kept = 0;
    for (const f of Object.values(previous.files)) {
      f.mutants = f.mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout' || m.status === 'CompileError');
      kept += f.mutants.length;
    }
    writeFileSync(incremental, JSON.stringify(previous));
    console.error(`mutate: ${name}: ${kept} killed mutants reused from the last run if their code is unchanged (--force tests all)`);
  }
  const run = spawnSync(process.execPath, [join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', 'stryker.config.mjs'], {
    cwd: root, stdio: 'inherit',
    env: { ...process.env, MUTATE_NAME: name, MUTATE_GLOBS: m.globs.join(','), MUTATE_TESTS: tests.join(' '), ...(addon ? { SENTENCEVAE_ADDON: addon } : {}) },
  });
  if (run.status !== 0 || !existsSync(report)) {
    scores.push({ name, error: `stryker exited with ${run.status}` });
    continue;
  }
  const counts = { Killed: 0, Survived: 0, NoCoverage: 0, Timeout: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 };
  const survivors = [];
  for (const [file, f] of Object.entries(JSON.parse(readFileSync(report, 'utf8')).files)) {
    for (const mutant of f.mutants) {
      counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
      if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') survivors.push(`${file}:${mutant.location.start.line} ${mutant.mutatorName}${mutant.replacement ? ` -> ${mutant.replacement.replace(/\s+/g, ' ').slice(0, 60)}` : ''}`);
    }
  }
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  scores.push({ name, score: (100 * detected) / valid, ...counts, minutes: (Date.now() - started) / 60000, survivors });
}

console.log('\n| module | score | killed | timeout | survived | no coverage | compile errors | minutes |\n| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const s of scores) {
  if (s.error) console.log(`| ${s.name} | ${s.error} | | | | | | |`);
  else console.log(`| ${s.name} | ${s.score.toFixed(1)}% | ${s.Killed} | ${s.Timeout} | ${s.Survived} | ${s.NoCoverage} | ${s.CompileError} | ${s.minutes.toFixed(1)} |`);
}
for (const s of scores) if (s.survivors?.length) console.log(`\nsurvivors in ${s.name}:\n  ${s.survivors.join('\n  ')}`);
