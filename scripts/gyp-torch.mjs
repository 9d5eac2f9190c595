#!/usr/bin/env node
// LibTorch settings for binding.gyp, found in the same order as CMakeLists.txt:
// LIBTORCH / Torch_DIR, a Python PyTorch install, then the system (Debian libtorch-dev).
// Usage (from binding.gyp): node scripts/gyp-torch.mjs includes|libraries|cflags|source|sources
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function findTorch() {
  if (process.env.LIBTORCH) return { prefix: resolve(process.env.LIBTORCH), source: `LIBTORCH=${process.env.LIBTORCH}` };
  if (process.env.Torch_DIR) {
    return { prefix: resolve(process.env.Torch_DIR, '..', '..', '..'), source: `Torch_DIR=${process.env.Torch_DIR}` };
  }
  const python = process.env.PYTHON || 'python3';
  const py = spawnSync(python, ['-c', 'import sys, torch.utils; sys.stdout.write(torch.utils.cmake_prefix_path)'], { encoding: 'utf8' });
  if (py.status === 0 && py.stdout) return { prefix: resolve(py.stdout, '..', '..'), source: `python (${python}: ${py.stdout})` };
  for (const libdir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib']) {
    if (existsSync(join(libdir, 'cmake', 'Torch', 'TorchConfig.cmake'))) return { prefix: '/usr', libdir, source: 'system' };
  }
  console.error('[sentencevae] LibTorch not found (LIBTORCH, Torch_DIR, python3 torch, system). Install libtorch-dev or set LIBTORCH.');
  process.exit(1);
}

const torch = findTorch();
const libdir = torch.libdir ?? join(torch.prefix, 'lib');
const cmakeDir = torch.libdir ? join(torch.libdir, 'cmake', 'Torch') : join(torch.prefix, 'share', 'cmake', 'Torch');

function abiFlag() {
  const config = join(cmakeDir, 'TorchConfig.cmake');
  const m = existsSync(config) ? /_GLIBCXX_USE_CXX11_ABI=(\d)/.exec(readFileSync(config, 'utf8')) : null;
  return `-D_GLIBCXX_USE_CXX11_ABI=${m ? m[1] : '1'}`;
}

function sources(dir = join(root, 'native')) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.cc') ? [relative(root, path)] : [];
  }).sort();
}

// The compile definitions CMake would take from LibTorch's exported targets (USE_DISTRIBUTED, ...).
function torchDefines() {
  const targets = join(cmakeDir, '..', 'Caffe2', 'Caffe2Targets.cmake');
  if (!existsSync(targets)) return [];
  const m = /INTERFACE_COMPILE_DEFINITIONS "([A-Z0-9_;]+)"/.exec(readFileSync(targets, 'utf8'));
  return m ? m[1].split(';').map((d) => `-D${d}`) : [];
}

const includeBase = torch.libdir ? '/usr/include' : join(torch.prefix, 'include');
const hasCuda = existsSync(join(libdir, 'libtorch_cuda.so'));
const out = {
  includes: [includeBase, join(includeBase, 'torch', 'csrc', 'api', 'include')],
  libraries: [
    `-L${libdir}`, `-Wl,-rpath,${libdir}`, '-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10',
    ...(hasCuda ? ['-ltorch_cuda', '-lc10_cuda'] : []), '-Wl,--as-needed',
  ],
  cflags: [abiFlag(), ...torchDefines(), ...(hasCuda ? ['-DSVAE_WITH_CUDA=1'] : [])],
  source: [torch.source],
  sources: sources(),
};
const what = process.argv[2];
if (!(what in out)) {
  console.error(`usage: gyp-torch.mjs ${Object.keys(out).join('|')}`);
  process.exit(2);
}
console.log(out[what].join('\n'));
