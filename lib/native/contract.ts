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
  focalLoss(logits: NativeTensor, targets: NativeTensor, valid: NativeTensor, gamma: number): Promise<{ loss: number; ce: number; tokens: number; correct: number }>;
}

export interface NativeTensorSlice {
  dtype: NativeDType;
  shape: number[];
  offset: number;
  nbytes: number;
}

export interface NativeIO {
  readTensorSlices(path: string, slices: NativeTensorSlice[]): Promise<NativeTensor[]>;
  writeTensorFile(path: string, header: Uint8Array, tensors: NativeTensor[]): Promise<void>;
  readStridedViews(
    path: string,
    storages: { dtype: string; offset: number; nbytes: number }[],
    views: { storage: number; offset: number; shape: number[]; stride: number[] }[],
  ): Promise<NativeTensor[]>;
}

export interface NativeOptConfig {
  vocabSize: number;
  hidden: number;
  ffn: number;
  layers: number;
  heads: number;
  maxPositions: number;
  wordEmbedProjDim: number;
  preNorm: boolean;
  finalNorm: boolean;
  padId: number;
  bosId: number;
  eosId: number;
  tokenizerSize: number;
}

export interface NativeOptSession {
  next(): Promise<{ tokens: Int32Array; finished: Uint8Array; done: boolean; logits?: Float32Array }>;
  dispose(): void;
}

export interface NativeOPT {
  readonly parameterCount: number;
  loadTensors(tensors: Record<string, NativeTensor>): Promise<void>;
  namedTensors(): Record<string, NativeTensor>;
  logits(ids: Int32Array, shape: readonly number[], mask: Uint8Array): Promise<NativeTensor>;
  nll(ids: Int32Array, shape: readonly number[], mask: Uint8Array): Promise<{ nll: number; tokens: number }>;
  generate(ids: Int32Array, shape: readonly number[], mask: Uint8Array, options: NativeDecodeOptions & { maxNewTokens?: number; ignoreEos?: boolean }): NativeOptSession;
  dispose(): void;
}

export interface NativeOPTClass {
  create(config: NativeOptConfig, device: string, dtype: NativeDType, seed: number): Promise<NativeOPT>;
}

/** A SentenceVAE's shape (saved as config.json; defaults and presets in lib/models/svaeConfig.ts). */
export interface NativeSvaeConfig {
  /** Rows of the embeddings and logits: the tokenizer's size rounded up to a multiple of 8. */
  vocabSize: number;
  /** Ids at or above this are never predicted. */
  tokenizerSize: number;
  hidden: number;
  layers: number;
  heads: number;
  /** Inner size of the feed-forward layers. */
  ffn: number;
  /** Longest sentence, bos included (the paper: 64). */
  maxTokens: number;
  dropout: number;
  norm: 'pre' | 'post';
  activation: 'relu' | 'gelu';
  padId: number;
  bosId: number;
  eosId: number;
}

export interface NativeLoss {
  loss: number;
  ce: number;
  tokens: number;
  correct: number;
  rowsExact: number;
}

export interface NativeStep extends NativeLoss {
  gradNorm: number;
  skipped: boolean;
}

export interface NativeDecodeOptions {
  maxTokens?: number;
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  returnLogits?: boolean;
}

export interface NativeDecoded {
  /** [n, steps] generated ids, row-major (eos included where reached; pad after). */
  tokens: Int32Array;
  steps: number;
  /** Tokens before eos per row. */
  lengths: Int32Array;
  /** 1 where eos was generated. */
  ended: Uint8Array;
  logits?: NativeTensor;
}

export interface NativeTrainingOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** 0: no EMA. */
  emaDecay?: number;
  amp?: 'off' | 'bf16' | 'fp16';
  lossScale?: number;
}

export interface NativeTrainOptions extends NativeTrainingOptions {
  gamma?: number;
  lr?: number;
  clip?: number;
}

export interface NativeApplied {
  gradNorm: number;
  skipped: boolean;
  lossScale: number;
  adamStep: number;
}

export interface NativeTrainingState {
  tensors: Record<string, NativeTensor>;
  adamStep: number;
  lossScale: number;
}

export interface NativeSentenceVAE {
  readonly parameterCount: number;
  encode(ids: Int32Array, shape: readonly number[], lengths: Int32Array): Promise<NativeTensor>;
  decode(vectors: NativeTensor, options: NativeDecodeOptions): Promise<NativeDecoded>;
  logits(ids: Int32Array, shape: readonly number[], lengths: Int32Array, vectors: NativeTensor, shortcut: boolean): Promise<NativeTensor>;
  evaluate(ids: Int32Array, shape: readonly number[], lengths: Int32Array, gamma: number): Promise<NativeLoss>;
  trainStep(ids: Int32Array, shape: readonly number[], lengths: Int32Array, options: NativeTrainOptions): Promise<NativeStep>;
  configureTraining(options: NativeTrainingOptions, seed: number | null): Promise<void>;
  /** `scale` multiplies the loss before backward (1/accumulation; NaN poisons the step). */
  accumulate(ids: Int32Array, shape: readonly number[], lengths: Int32Array, options: { gamma?: number; scale?: number }): Promise<NativeLoss>;
  applyStep(options: { lr: number; clip: number }): Promise<NativeApplied>;
  trainingState(): Promise<NativeTrainingState>;
  loadTrainingState(tensors: Record<string, NativeTensor>, adamStep: number, lossScale: number): Promise<void>;
  swapEma(): Promise<void>;
  namedTensors(): Record<string, NativeTensor>;
  loadTensors(tensors: Record<string, NativeTensor>): Promise<void>;
  dispose(): void;
}

export interface NativeSentenceVAEClass {
  create(config: NativeSvaeConfig, device: string, dtype: NativeDType, seed: number): Promise<NativeSentenceVAE>;
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
  io: NativeIO;
  NativeSentenceVAE: NativeSentenceVAEClass;
  NativeOPT: NativeOPTClass;
}
