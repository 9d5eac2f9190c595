#!/usr/bin/env node
// Builds the native addon with cmake-js (the package's install script).
//
//   node scripts/install.mjs               build if needed (a no-op when up to date)
//   node scripts/install.mjs --force       reconfigure and rebuild
//   node scripts/install.mjs --setup       first install what is missing: system LibTorch/OpenBLAS
//                                          (root on Debian, via scripts/setup-system.sh) and npm deps
//   node scripts/install.mjs --from-source never use the shipped prebuilt addon
//   node scripts/install.mjs --clean       after building, keep only the .node in build/
//   node scripts/install.mjs --keep-build  keep the build tree (object files, precompiled header)
//
// Installed as a dependency (inside node_modules, no .git), the script first tries the prebuilt
// addon shipped in prebuilds/<platform>-<arch>/ (made by `npm pack`: scripts/prebuild.mjs): it is
// used when the machine's LibTorch is the one it was built against and it loads; otherwise the
// addon is compiled, and afterwards build/ keeps only the .node (the precompiled header alone is
// ~600 MB). In a git checkout the build tree stays, for incremental rebuilds.
//
// Progress lines start with [sentencevae]. npm hides a dependency's install output unless
// `npm install --foreground-scripts`; when it does and a terminal is attached, the lines are also
// written to /dev/tty, so an interactive install is never silent for minutes.
//
// Environment: LIBTORCH or Torch_DIR (use that LibTorch), PYTHON (interpreter probed for a
// PyTorch install), SENTENCEVAE_SKIP_BUILD=1 (do nothing), SENTENCEVAE_BUILD_JOBS,
// SENTENCEVAE_BUILD_FROM_SOURCE=1 or `npm install --build-from-source` (= --from-source),
// SENTENCEVAE_KEEP_BUILD=1 (= --keep-build).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { prebuiltDir, prebuiltMismatch } from './libtorch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build', 'cmake');
const stampFile = join(buildDir, 'sentencevae-config.json');
const args = new Set(process.argv.slice(2));
const started = Date.now();

/** Installed as a dependency: inside node_modules and not a git checkout. */
const asDependency = !existsSync(join(root, '.git')) && root.split(sep).includes('node_modules');

// npm captures a dependency's install output (shown only on failure or with --foreground-scripts):
// then progress also goes to the terminal, if there is one.
let tty = -1;
if (!process.stderr.isTTY && process.env.npm_lifecycle_event && process.env.npm_config_foreground_scripts !== 'true') {
  try { tty = openSync('/dev/tty', 'w'); } catch { tty = -1; }
}
function log(msg) {
  const line = `[sentencevae] ${msg}\n`;
  process.stderr.write(line);
  if (tty >= 0) {
    try { writeSync(tty, line); } catch { tty = -1; }
  }
}
const elapsed = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

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

/** Runs a command with its output piped: each line goes to `onLine`; resolves with the exit code. */
function runPiped(cmd, argv, onLine) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', reject);
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', onLine);
    child.on('close', (code) => resolvePromise(code ?? 1));
  });
}

/** The last lines of a tool's output, printed when it fails (progress lines replace them otherwise). */
function tailBuffer(max = 150) {
  const lines = [];
  return {
    push(line) { lines.push(line); if (lines.length > max) lines.shift(); },
    print() { for (const l of lines) process.stderr.write(`${l}\n`); },
  };
}

/** Uses the shipped prebuilt addon if it matches this machine; true when it did. */
function usePrebuilt() {
  const dir = prebuiltDir(root);
  const file = join(dir, 'sentencevae.node');
  if (!existsSync(file) || !existsSync(join(dir, 'sentencevae.json'))) return false;
  const meta = JSON.parse(readFileSync(join(dir, 'sentencevae.json'), 'utf8'));
  const what = `LibTorch ${meta.libtorch.version} (${meta.libtorch.source}), ${meta.compiler.id} ${meta.compiler.version}, ` +
    `C++11 ABI ${meta.libtorch.cxx11abi}, Node-API ${meta.napiVersion}`;
  const mismatch = prebuiltMismatch(meta);
  if (mismatch) {
    log(`the prebuilt addon does not fit this machine (${mismatch}): building from source`);
    return false;
  }
  // The last check: it loads (every LibTorch symbol it needs resolves), in a child process.
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const reason = (probe.stderr || '').split('\n').find((l) => /Error|error/.test(l)) ?? `exit ${probe.status}`;
    log(`the prebuilt addon does not load here (${reason.trim()}): building from source`);
    return false;
  }
  log(`using the prebuilt addon for ${meta.platform}-${meta.arch}: ${what}; nothing to compile`);
  return true;
}

/** Installed as a dependency: drop everything in build/ but the addon (and what it was built against). */
function cleanBuildTree() {
  const keep = join(buildDir, 'Release', 'sentencevae.node');
  if (!existsSync(keep)) return;
  const info = join(buildDir, 'sentencevae-build.json');
  const stash = join(root, 'build', '.keep');
  rmSync(stash, { recursive: true, force: true });
  mkdirSync(stash, { recursive: true });
  renameSync(keep, join(stash, 'sentencevae.node'));
  if (existsSync(info)) renameSync(info, join(stash, 'sentencevae-build.json'));
  for (const entry of readdirSync(join(root, 'build'))) {
    if (entry !== '.keep') rmSync(join(root, 'build', entry), { recursive: true, force: true });
  }
  mkdirSync(join(buildDir, 'Release'), { recursive: true });
  renameSync(join(stash, 'sentencevae.node'), keep);
  if (existsSync(join(stash, 'sentencevae-build.json'))) renameSync(join(stash, 'sentencevae-build.json'), info);
  rmSync(stash, { recursive: true, force: true });
  const mb = (statSync(keep).size / 1e6).toFixed(1);
  log(`removed the build tree (object files, precompiled header): build/ keeps the ${mb} MB addon (--keep-build or SENTENCEVAE_KEEP_BUILD=1 keeps it all)`);
}

async function build() {
  if (process.env.SENTENCEVAE_SKIP_BUILD === '1') return log('SENTENCEVAE_SKIP_BUILD=1: not building the addon');
  const fromSource = args.has('--from-source') || args.has('--force') || process.env.SENTENCEVAE_BUILD_FROM_SOURCE === '1' ||
    process.env.npm_config_build_from_source === 'true';
  // A developer's checkout always compiles its own sources; a dependency tries the shipped prebuilt.
  if (asDependency && !fromSource && usePrebuilt()) return;
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
    const out = tailBuffer();
    const code = await runPiped(process.execPath, argv, (line) => {
      out.push(line);
      if (/sentencevae: /.test(line)) log(line.replace(/^.*sentencevae: /, '').trim());
    });
    if (code !== 0) {
      out.print();
      log('configure failed: see the CMake message above (LibTorch discovery order: LIBTORCH/Torch_DIR, python3 PyTorch, system).');
      process.exit(1);
    }
    writeFileSync(stampFile, config);
  }
  const files = readdirSync(join(root, 'native'), { recursive: true }).filter((f) => String(f).endsWith('.cc')).length;
  log(`compiling the native addon: ${files} C++ files with ${jobs} job(s) (a cold build takes minutes; see README "Install times")`);
  const out = tailBuffer();
  let compiled = 0;
  const code = await runPiped('cmake', ['--build', buildDir, '--config', 'Release', '--parallel', jobs], (line) => {
    out.push(line);
    // Ninja: "[12/40] Building CXX object .../native/model/opt.cc.o"; Make: "[ 42%] Building CXX object ...".
    const step = /^\[\s*(\d+)\/(\d+)\]\s+(.*)$/.exec(line) ?? /^\[\s*(\d+%)\]\s+(.*)$/.exec(line);
    if (!step) return;
    const what = step.length === 4 ? step[3] : step[2];
    if (!/Building|Linking/.test(what)) return; // "Re-checking globbed directories...", "Built target"
    const file = /native\/\S+?\.(cc|h)|cmake_pch\S*|sentencevae\.node/.exec(what)?.[0] ?? what;
    // Ninja prints a step when it has finished, Make when it starts.
    const ninja = step.length === 4;
    const label = ninja ? `[${step[1]}/${step[2]}]` : `[${step[1]}]`;
    const text = /Linking/.test(what) ? `${ninja ? 'linked' : 'linking'} ${file}`
      : /pch/.test(what) ? `${ninja ? 'precompiled' : 'precompiling'} the LibTorch headers`
        : `${ninja ? 'compiled' : 'compiling'} ${file}`;
    compiled += 1;
    log(`${label} ${text} (${elapsed()})`);
  });
  if (code !== 0) {
    out.print();
    log('build failed: see the compiler output above.');
    process.exit(1);
  }
  log(compiled === 0 ? 'the addon is up to date' : `built the addon in ${elapsed()}`);
  const clean = args.has('--clean') || (asDependency && !args.has('--keep-build') && process.env.SENTENCEVAE_KEEP_BUILD !== '1');
  if (clean) cleanBuildTree();
}

if (args.has('--setup')) {
  setupSystem();
  setupNpm();
}
await build();
if (tty >= 0) closeSync(tty);
