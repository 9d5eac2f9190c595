import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a prebuilt addon was built against: prebuilds/<platform>-<arch>/sentencevae.json (scripts/prebuild.mjs). */
export interface PrebuiltMeta {
  platform: string;
  arch: string;
  napiVersion: number;
  libtorch: { version: string; cxx11abi: number | null; configDir: string; prefix: string; source: string; cuda: boolean };
  compiler: { id: string; version: string };
}

/** The prebuilt addon's path for this platform: prebuilds/<platform>-<arch>/sentencevae.node under `root`. */
export function prebuiltPath(root: string): string {
  return join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'sentencevae.node');
}

/**
 * Why the prebuilt addon at `path` must not be loaded here, or null when its sentencevae.json
 * matches this process and machine: platform and arch, a Node-API at least as new as it needs,
 * and the LibTorch it was linked against still installed, same version and C++ ABI (its CMake
 * config files are read: two small synchronous reads, once, when the addon is first loaded).
 * Loading a prebuilt against another LibTorch could resolve symbols that changed meaning; this
 * check refuses it with a reason instead.
 */
export function prebuiltProblem(path: string): string | null {
  const metaFile = join(dirname(path), 'sentencevae.json');
  if (!existsSync(metaFile)) return 'prebuilt without its sentencevae.json';
  let meta: PrebuiltMeta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as PrebuiltMeta;
  } catch (error) {
    return `unreadable ${metaFile}: ${(error as Error).message}`;
  }
  const built = `prebuilt for ${meta.platform}-${meta.arch}, LibTorch ${meta.libtorch?.version}`;
  if (meta.platform !== process.platform || meta.arch !== process.arch) return `${built}: this is ${process.platform}-${process.arch}`;
  if (Number(process.versions.napi) < meta.napiVersion) return `${built}: needs Node-API ${meta.napiVersion}, this Node.js has ${process.versions.napi}`;
  let version: string | undefined;
  let abi: string | undefined;
  try {
    version = /set\(PACKAGE_VERSION "([^"]+)"\)/.exec(readFileSync(join(meta.libtorch.configDir, 'TorchConfigVersion.cmake'), 'utf8'))?.[1];
    abi = /_GLIBCXX_USE_CXX11_ABI=(\d)/.exec(readFileSync(join(meta.libtorch.configDir, 'TorchConfig.cmake'), 'utf8'))?.[1];
  } catch {
    return `${built}: no LibTorch at ${meta.libtorch.configDir} on this machine`;
  }
  if (version !== meta.libtorch.version) return `${built}: the LibTorch at ${meta.libtorch.configDir} is ${version ?? 'of an unknown version'}`;
  if ((abi === undefined ? null : Number(abi)) !== meta.libtorch.cxx11abi) {
    return `${built}: built with _GLIBCXX_USE_CXX11_ABI=${meta.libtorch.cxx11abi}, the LibTorch here uses ${abi ?? 'an unknown ABI'}`;
  }
  return null;
}
