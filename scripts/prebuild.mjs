#!/usr/bin/env node
// Puts a prebuilt addon into the package (run by `prepack`): builds the addon if needed (the
// incremental build of scripts/install.mjs) and copies it to prebuilds/<platform>-<arch>/ with
// sentencevae.json, what it was built against (LibTorch version, its CMake config folder and C++
// ABI, compiler, Node-API version). At install, scripts/install.mjs uses it instead of compiling
// when the machine's LibTorch is that one (scripts/libtorch.mjs: prebuiltMismatch) and it loads.
//
// Environment: SENTENCEVAE_SKIP_PREBUILD=1 packs without a prebuilt (every install compiles).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describeTorch, prebuiltDir } from './libtorch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => console.error(`[sentencevae] ${msg}`);
const out = prebuiltDir(root);

rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
if (process.env.SENTENCEVAE_SKIP_PREBUILD === '1') {
  log('SENTENCEVAE_SKIP_PREBUILD=1: packing without a prebuilt addon');
  process.exit(0);
}
if (process.platform !== 'linux') {
  log(`no prebuilt for ${process.platform}: installs will build from source`);
  process.exit(0);
}

// Build (or confirm up to date) the addon exactly as a developer's install does.
const build = spawnSync(process.execPath, [join(root, 'scripts', 'install.mjs'), '--keep-build'], { stdio: 'inherit', cwd: root });
if (build.status !== 0) {
  log('the addon did not build: no prebuilt can be packed (SENTENCEVAE_SKIP_PREBUILD=1 packs without one)');
  process.exit(1);
}
const addon = join(root, 'build', 'cmake', 'Release', 'sentencevae.node');
const info = JSON.parse(readFileSync(join(root, 'build', 'cmake', 'sentencevae-build.json'), 'utf8'));
const torch = describeTorch(info.libtorchConfigDir);
if (!existsSync(addon) || !torch) {
  log(`cannot describe the build (addon ${addon}, LibTorch config ${info.libtorchConfigDir}): no prebuilt packed`);
  process.exit(1);
}
const meta = {
  platform: process.platform,
  arch: process.arch,
  napiVersion: info.napiVersion,
  libtorch: {
    version: torch.version,
    cxx11abi: torch.cxx11abi,
    configDir: info.libtorchConfigDir,
    prefix: info.libtorchPrefix,
    source: info.libtorchSource,
    cuda: info.cuda === 'ON',
  },
  compiler: { id: info.compilerId, version: info.compilerVersion },
  builtWith: { node: process.version },
};
mkdirSync(out, { recursive: true });
copyFileSync(addon, join(out, 'sentencevae.node'));
// Symbols for C++ backtraces are not needed to load or run; stripping roughly halves the file.
spawnSync('strip', ['--strip-unneeded', join(out, 'sentencevae.node')], { stdio: 'ignore' });
writeFileSync(join(out, 'sentencevae.json'), `${JSON.stringify(meta, null, 2)}\n`);
log(`prebuilt addon: ${out} (LibTorch ${torch.version} ${meta.libtorch.source}, ${meta.compiler.id} ${meta.compiler.version}, ` +
  `C++11 ABI ${torch.cxx11abi}, Node-API ${meta.napiVersion})`);
