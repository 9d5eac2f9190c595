/**
 * The exact surface of the native addon (native/addon.cc). Every other file in lib/ reaches
 * native code through these types; nothing else imports the addon.
 */
export type NativeDType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'bool';

export type NativeTypedArray =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array;

export interface NativeTensor {
  readonly shape: number[];
  readonly dtype: NativeDType;
  readonly device: string;
  readonly disposed: boolean;
  toArray(): Promise<NativeTypedArray>;
  view(): NativeTypedArray;
  to(device: string, dtype: NativeDType | null): Promise<NativeTensor>;
  dispose(): void;
}

export interface NativeTensorClass {
  fromArray(data: NativeTypedArray, shape: readonly number[], dtype: NativeDType, device: string): Promise<NativeTensor>;
  borrow(data: NativeTypedArray, shape: readonly number[], dtype: NativeDType): NativeTensor;
}

export interface NativeDeviceInfo {
  name: string;
  kind: 'cpu' | 'cuda';
  model?: string;
  memoryBytes?: number;
}

export interface NativeInfo {
  libtorchVersion: string;
  torchSource: string;
  buildSystem: string;
  cudaBuilt: boolean;
  cudaAvailable: boolean;
  distributedBuilt: boolean;
  openmp: boolean;
  mkl: boolean;
  mkldnn: boolean;
  threads: number;
  interopThreads: number;
  devices: NativeDeviceInfo[];
  blasLibraries: string[];
  buildConfig: string;
}

export interface NativeOps {
  matmul(a: NativeTensor, b: NativeTensor): Promise<NativeTensor>;
  linear(x: NativeTensor, weight: NativeTensor, bias: NativeTensor | null): Promise<NativeTensor>;
  relu(x: NativeTensor): Promise<NativeTensor>;
  softmax(x: NativeTensor, dim: number): Promise<NativeTensor>;
  reshape(x: NativeTensor, shape: readonly number[]): Promise<NativeTensor>;
  randn(shape: readonly number[], dtype: NativeDType, device: string, seed: number): Promise<NativeTensor>;
}

export interface NativeAddon {
  napiVersion: number;
  info(): NativeInfo;
  setThreads(threads: number): void;
  getThreads(): number;
  resolveDevice(device: string): string;
  throwForTest(kind: 'torch' | 'std' | 'unknown'): never;
  NativeTensor: NativeTensorClass;
  ops: NativeOps;
}
