#!/usr/bin/env node
// Builds the native addon with cmake-js (the package's install script).
//
//   node scripts/install.mjs           build if needed (a no-op when up to date)
//   node scripts/install.mjs --force   reconfigure and rebuild
//   node scripts/install.mjs --setup   first install what is missing: system LibTorch/OpenBLAS
//                                      (root on Debian, via scripts/setup-system.sh) and npm deps
//
// Environment: LIBTORCH or Torch_DIR (use that LibTorch), PYTHON (interpreter probed for a
// PyTorch install), SENTENCEVAE_SKIP_BUILD=1 (do nothing), SENTENCEVAE_BUILD_JOBS.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build', 'cmake');
const stampFile = join(buildDir, 'sentencevae-config.json');
const args = new Set(process.argv.slice(2));
const log = (msg) => console.error(`[sentencevae] ${msg}`);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function libtorchVisible() {
  if (process.env.LIBTORCH || process.env.Torch_DIR) return true;
  const py = spawnSync(process.env.PYTHON || 'python3', ['-c', 'import torch'], { stdio: 'ignore' });
  if (py.status === 0) return true;
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib']
    .some((d) => existsSync(join(d, 'cmake', 'Torch', 'TorchConfig.cmake')));
}

function setupSystem() {
  const missingBlas = existsSync('/usr/bin/dpkg') &&
    spawnSync('dpkg', ['-s', 'libopenblas0-openmp'], { stdio: 'ignore' }).status !== 0;
  if (libtorchVisible() && has('cmake') && !missingBlas) return;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && has('apt-get')) {
    log('LibTorch, OpenBLAS or CMake missing: installing them with apt (scripts/setup-system.sh)');
    if (run('bash', [join(root, 'scripts', 'setup-system.sh')]) !== 0) process.exit(1);
    return;
  }
  log('LibTorch (or CMake/OpenBLAS) is missing and cannot be installed automatically here.');
  log('  Debian/Ubuntu: sudo bash scripts/setup-system.sh');
  log('  elsewhere: unpack a LibTorch and set LIBTORCH=/path/to/libtorch, or install PyTorch for python3');
}

function setupNpm() {
  if (existsSync(join(root, 'node_modules', 'cmake-js')) && existsSync(join(root, 'node_modules', 'ava'))) return;
  const lock = existsSync(join(root, 'package-lock.json'));
  log(`npm dependencies missing: running npm ${lock ? 'ci' : 'install'}`);
  if (run('npm', [lock ? 'ci' : 'install']) !== 0) process.exit(1);
}

function currentConfig() {
  const gen = has('ninja') ? 'Ninja' : 'Unix Makefiles';
  return JSON.stringify({
    LIBTORCH: process.env.LIBTORCH ?? '', Torch_DIR: process.env.Torch_DIR ?? '',
    PYTHON: process.env.PYTHON ?? '', node: process.versions.modules, generator: gen,
  });
}

function build() {
  if (process.env.SENTENCEVAE_SKIP_BUILD === '1') return log('SENTENCEVAE_SKIP_BUILD=1: not building the addon');
  const config = currentConfig();
  const configured = existsSync(join(buildDir, 'CMakeCache.txt')) && existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === config;
  const jobs = process.env.SENTENCEVAE_BUILD_JOBS || String(Math.max(1, availableParallelism()));
  if (!configured || args.has('--force')) {
    rmSync(buildDir, { recursive: true, force: true });
    mkdirSync(buildDir, { recursive: true });
    const require = createRequire(import.meta.url);
    let cmakeJs;
    try {
      cmakeJs = join(dirname(require.resolve('cmake-js/package.json', { paths: [root] })), 'bin', 'cmake-js');
    } catch {
      log('cmake-js is not installed: run npm install first.');
      process.exit(1);
    }
    const { generator } = JSON.parse(config);
    const argv = [cmakeJs, 'configure', '--out', buildDir, '--config', 'Release'];
    if (generator === 'Ninja') argv.push('-G', 'Ninja');
    log(`configuring the addon (cmake-js, ${generator})`);
    if (run(process.execPath, argv) !== 0) {
      log('configure failed: see the CMake message above (LibTorch discovery order: LIBTORCH/Torch_DIR, python3 PyTorch, system).');
      process.exit(1);
    }
    writeFileSync(stampFile, config);
  }
  if (run('cmake', ['--build', buildDir, '--config', 'Release', '--parallel', jobs]) !== 0) {
    log('build failed: see the compiler output above.');
    process.exit(1);
  }
}

if (args.has('--setup')) {
  setupSystem();
  setupNpm();
}
build();
