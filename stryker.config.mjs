/**
 * Stryker (mutation testing) over the pure TypeScript modules whose tests run in seconds.
 * Run it through `npm run mutate [-- lib/text lib/io ...]` (scripts/mutate.mjs), which sets
 * MUTATE_NAME / MUTATE_GLOBS / MUTATE_TESTS for one module at a time. Not part of CI.
 *
 * Stryker has no ava runner: the command runner runs ava on the compiled tests of the module.
 * Mutants are switched at run time (Stryker instruments every mutant into the sources once and
 * activates one per run through the __STRYKER_ACTIVE_MUTANT__ environment variable, which ava
 * passes on to its worker processes), so TypeScript is compiled once per module, not per mutant.
 * The TypeScript checker drops mutants that do not type-check before any test runs.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// Tools by absolute path: the sandbox (tmp/stryker/…, inside the project) resolves packages
// from the project's node_modules by walking up, but has no node_modules of its own.
const root = dirname(fileURLToPath(import.meta.url));
const name = process.env.MUTATE_NAME ?? 'all';
const globs = (process.env.MUTATE_GLOBS ?? 'lib/validate.ts').split(',');
const tests = process.env.MUTATE_TESTS ?? 'dist/test/hardening/mutation-units.test.js';

export default {
  testRunner: 'command',
  commandRunner: { command: `node ${root}/node_modules/ava/entrypoints/cli.mjs --fail-fast ${tests}` },
  buildCommand: `node ${root}/node_modules/typescript/bin/tsc -p tsconfig.json`,
  mutate: globs,
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  plugins: ['@stryker-mutator/typescript-checker'],
  coverageAnalysis: 'off',
  // Two shared cores: one mutant at a time (ava itself runs two test files in parallel).
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 1),
  // A mutant that loops forever costs this much beyond the normal run: keep it short.
  timeoutMS: 8000,
  timeoutFactor: 2,
  // The native addon is found through SENTENCEVAE_ADDON (set by scripts/mutate.mjs), so the
  // 600 MB build folder is not copied into the sandbox.
  ignorePatterns: ['/build', '/bench/results', '/runs', '/.device', '/tmp', '*.tgz', '/docs', '/native'],
  // One sandbox folder per module or file, so two runs (of different files) can go side by side.
  tempDirName: `tmp/stryker-${name.replace(/[^\w.-]+/g, '_')}`,
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `bench/results/mutation/${name.replace(/[^\w.-]+/g, '_')}.json` },
  // Incremental: a re-run tests only mutants whose code changed since the last run, plus those
  // scripts/mutate.mjs removed from this file before the run (every mutant not killed: the
  // command runner reports no test files, so Stryker cannot see that new tests were added).
  incremental: process.env.MUTATE_INCREMENTAL !== '0',
  incrementalFile: `bench/results/mutation/${name.replace(/[^\w.-]+/g, '_')}.incremental.json`,
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
};
