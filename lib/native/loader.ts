import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AddonLoadError, type AddonAttempt } from '../errors/AddonLoadError.js';
import type { NativeAddon } from './contract.js';
import { prebuiltPath, prebuiltProblem } from './prebuilt.js';

/** The package root (this file is dist/lib/native/loader.js). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where the addon may be, in the order tried. `SENTENCEVAE_ADDON` overrides everything. */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.SENTENCEVAE_ADDON) return [resolve(env.SENTENCEVAE_ADDON)];
  return [
    join(packageRoot, 'build', 'cmake', 'Release', 'sentencevae.node'), // cmake-js (npm install)
    join(packageRoot, 'build', 'Release', 'sentencevae.node'), // node-gyp (npm run build:gyp)
    prebuiltPath(packageRoot), // shipped in the tarball (npm pack: scripts/prebuild.mjs), checked before loading
  ];
}

function hints(attempts: readonly AddonAttempt[]): string[] {
  const reasons = attempts.map((a) => a.reason).join('\n');
  if (attempts.every((a) => a.reason === 'not built')) {
    return [
      'The native addon has not been built.',
      '- Inside this repository: npm install (or npm run build:native).',
      '- As a dependency: npm 11 skips the install script that builds it under --ignore-scripts,',
      '  strict-allow-scripts or a denial in allowScripts. Approve it and build it once:',
      '    npm install-scripts approve sentencevae && npm rebuild sentencevae',
      '  (or run: npx sentencevae build).',
      '- The build needs LibTorch: Debian/Ubuntu: apt-get install libtorch-dev libgloo-dev libopenblas0-openmp cmake;',
      '  elsewhere set LIBTORCH=/path/to/libtorch (a CUDA LibTorch gives CUDA support) and rebuild.',
    ];
  }
  if (/lib(torch|c10|gloo|blas|omp)[^\s]*\.so/.test(reasons) || /cannot open shared object/.test(reasons)) {
    return [
      "A shared library of LibTorch was not found at run time. Install it (apt-get install libtorch-dev libopenblas0-openmp),",
      'or, for a LibTorch unpacked by hand, add its lib/ folder to LD_LIBRARY_PATH; then rebuild: npm rebuild sentencevae.',
    ];
  }
  if (/^prebuilt for /m.test(reasons) && attempts.every((a) => a.reason === 'not built' || a.reason.startsWith('prebuilt for '))) {
    return [
      'The prebuilt addon shipped in the package does not fit this machine (reason above), and no addon was built from source.',
      'Build it from source: npm rebuild sentencevae --build-from-source (needs LibTorch, CMake and a C++17 compiler).',
    ];
  }
  if (/NODE_MODULE_VERSION|undefined symbol|invalid ELF|wrong ELF class|file too short/.test(reasons)) {
    return ['The addon was built for another Node.js or LibTorch: rebuild it with npm rebuild sentencevae (or npm run build:native).'];
  }
  return ['Rebuild the addon (npm rebuild sentencevae) and check the reasons above.'];
}

/** Loads the addon from the first candidate that works; otherwise throws AddonLoadError listing every attempt. */
export function loadAddon(env: NodeJS.ProcessEnv = process.env): NativeAddon {
  const require = createRequire(import.meta.url);
  const attempts: AddonAttempt[] = [];
  for (const path of addonCandidates(env)) {
    if (!existsSync(path)) {
      attempts.push({ path, reason: 'not built' });
      continue;
    }
    const problem = path === prebuiltPath(packageRoot) ? prebuiltProblem(path) : null;
    if (problem) {
      attempts.push({ path, reason: problem });
      continue;
    }
    try {
      return require(path) as NativeAddon;
    } catch (error) {
      attempts.push({ path, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const message = [
    'sentencevae: could not load the native addon.',
    'Tried:',
    ...attempts.map((a) => `  ${a.path}: ${a.reason}`),
    ...hints(attempts),
  ].join('\n');
  throw new AddonLoadError(message, attempts);
}

let cached: NativeAddon | undefined;

/** The loaded addon (loaded once, on first use, with the thread count set to the available cores). */
export function addon(): NativeAddon {
  if (!cached) {
    const loaded = loadAddon();
    const fromEnv = Number(process.env.SENTENCEVAE_THREADS);
    loaded.setThreads(Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism());
    cached = loaded;
  }
  return cached;
}
