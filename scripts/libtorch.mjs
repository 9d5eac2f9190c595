// Which LibTorch a source build would use (the order of CMakeLists.txt: LIBTORCH / Torch_DIR, the
// PyTorch of python3, the system) and what a prebuilt addon needs to match it. Shared by
// scripts/install.mjs (is the shipped prebuilt usable here?) and scripts/prebuild.mjs (what was
// it built against?). No dependencies: it runs before `npm install` has finished.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Folders where a system LibTorch keeps TorchConfig.cmake (Debian's libtorch-dev: the first). */
const systemConfigDirs = [
  '/usr/lib/x86_64-linux-gnu/cmake/Torch', '/usr/lib/aarch64-linux-gnu/cmake/Torch', '/usr/lib/cmake/Torch',
  '/usr/local/lib/cmake/Torch', '/usr/share/cmake/Torch', '/usr/local/share/cmake/Torch',
];

/** The Torch CMake config folder the build would use, or null; `source` says where it came from. */
export function findTorchConfig(env = process.env) {
  if (env.LIBTORCH) return { source: `LIBTORCH=${env.LIBTORCH}`, configDir: join(resolve(env.LIBTORCH), 'share', 'cmake', 'Torch') };
  if (env.Torch_DIR) return { source: `Torch_DIR=${env.Torch_DIR}`, configDir: resolve(env.Torch_DIR) };
  const python = env.PYTHON || 'python3';
  const py = spawnSync(python, ['-c', 'import sys, torch.utils; sys.stdout.write(torch.utils.cmake_prefix_path)'], { encoding: 'utf8' });
  if (py.status === 0 && py.stdout) return { source: `python (${python})`, configDir: join(py.stdout, 'Torch') };
  const dir = systemConfigDirs.find((d) => existsSync(join(d, 'TorchConfig.cmake')));
  return dir ? { source: 'system', configDir: dir } : null;
}

/** Version and C++ ABI of the LibTorch whose CMake config is in `configDir` (null if unreadable). */
export function describeTorch(configDir) {
  try {
    const version = /set\(PACKAGE_VERSION "([^"]+)"\)/.exec(readFileSync(join(configDir, 'TorchConfigVersion.cmake'), 'utf8'))?.[1];
    const abi = /_GLIBCXX_USE_CXX11_ABI=(\d)/.exec(readFileSync(join(configDir, 'TorchConfig.cmake'), 'utf8'))?.[1];
    if (!version) return null;
    return { version, cxx11abi: abi === undefined ? null : Number(abi) };
  } catch {
    return null;
  }
}

/** Where prebuilt addons live in the package: prebuilds/<platform>-<arch>/. */
export function prebuiltDir(root) {
  return join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/**
 * Why the prebuilt described by `meta` (its sentencevae.json) cannot be used on this machine, or
 * null when it matches: same platform and arch, a Node-API at least as new as it needs, and the
 * LibTorch a source build would use here is the one it was linked against (same config folder,
 * version and C++ ABI). Loading it (in a child process) is the last check, done by the caller.
 */
export function prebuiltMismatch(meta, env = process.env) {
  if (meta.platform !== process.platform || meta.arch !== process.arch) return `built for ${meta.platform}-${meta.arch}`;
  if (Number(process.versions.napi) < meta.napiVersion) return `needs Node-API ${meta.napiVersion}, this Node.js has ${process.versions.napi}`;
  const torch = findTorchConfig(env);
  if (!torch) return 'no LibTorch found on this machine';
  if (resolve(torch.configDir) !== resolve(meta.libtorch.configDir)) {
    return `built against the LibTorch at ${meta.libtorch.configDir}; this machine's build would use ${torch.configDir} (${torch.source})`;
  }
  const here = describeTorch(torch.configDir);
  if (!here) return `cannot read the LibTorch version in ${torch.configDir}`;
  if (here.version !== meta.libtorch.version) return `built against LibTorch ${meta.libtorch.version}; found ${here.version}`;
  if (here.cxx11abi !== meta.libtorch.cxx11abi) return `built with _GLIBCXX_USE_CXX11_ABI=${meta.libtorch.cxx11abi}; this LibTorch uses ${here.cxx11abi}`;
  return null;
}
