import { callSync } from './native/call.js';
import type { NativeDeviceInfo } from './native/contract.js';
import { addon } from './native/loader.js';
import type { Device } from './tensor/Tensor.js';
import { expectInteger, expectString } from './validate.js';

export interface RuntimeInfo {
  /** LibTorch version the addon was compiled against (from torch/version.h). */
  libtorchVersion: string;
  /** Where the build found LibTorch: 'system', 'python (...)', 'LIBTORCH=...', 'Torch_DIR=...'. */
  torchSource: string;
  /** 'cmake-js' or 'node-gyp'. */
  buildSystem: string;
  cudaBuilt: boolean;
  cudaAvailable: boolean;
  /** LibTorch was built with c10d (distributed) support. */
  distributedBuilt: boolean;
  /** Devices usable now ('cpu' first, then 'cuda:N'). */
  devices: NativeDeviceInfo[];
  /** Intra-op threads native calls use. */
  threads: number;
  /** BLAS shared libraries loaded in this process (what runs matmul), resolved to real paths. */
  blasLibraries: string[];
  openmp: boolean;
  mkl: boolean;
  mkldnn: boolean;
  /** Node-API version the addon targets. */
  napiVersion: number;
  /** LibTorch's own build description (at::show_config()). */
  buildConfig: string;
}

/**
 * What the native layer is built with and can use.
 * @example
 * ```ts
 * const { libtorchVersion, devices, threads } = info();
 * ```
 */
export function info(): RuntimeInfo {
  const a = addon();
  const raw = callSync(() => a.info());
  return {
    libtorchVersion: raw.libtorchVersion, torchSource: raw.torchSource, buildSystem: raw.buildSystem,
    cudaBuilt: raw.cudaBuilt, cudaAvailable: raw.cudaAvailable, distributedBuilt: raw.distributedBuilt,
    devices: raw.devices, threads: a.getThreads(), blasLibraries: raw.blasLibraries,
    openmp: raw.openmp, mkl: raw.mkl, mkldnn: raw.mkldnn, napiVersion: a.napiVersion, buildConfig: raw.buildConfig,
  };
}

/** Sets the intra-op thread count of every native call. @default os.availableParallelism() (or SENTENCEVAE_THREADS) */
export function setThreads(threads: number): void {
  expectInteger(threads, 'threads', 1, 4096);
  callSync(() => addon().setThreads(threads));
}

export function getThreads(): number {
  return addon().getThreads();
}

/** Resolves a device spec to a concrete device ('auto' -> 'cuda:0' or 'cpu'); throws DeviceError if unusable. */
export function resolveDevice(device: Device | string): string {
  expectString(device, 'device');
  return callSync(() => addon().resolveDevice(device));
}
