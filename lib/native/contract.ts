/**
 * The exact surface of the native addon (native/bindings/addon.cc). Every other file in lib/ reaches
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
  /** Best-of-repeats sum (read) and copy (read + write) bandwidth in GB/s, on the compute thread. */
  memoryBandwidth(megabytes: number, repeats: number): Promise<{ readGBs: number; copyGBs: number }>;
  focalLoss(logits: NativeTensor, targets: NativeTensor, valid: NativeTensor, gamma: number): Promise<{ loss: number; ce: number; tokens: number; correct: number }>;
  /** The generation controls as the decoders apply them, on logits [B, V] with one history per row (tests). */
  applyControls(logits: NativeTensor, histories: readonly NativeTokenHistory[], controls: NativeGenerationControls, eosId: number): Promise<NativeTensor>;
}

/** The decode kernels (native/kernels): instruction-set paths, one linear, int8 weights. */
export type NativeKernelPath = 'off' | 'portable' | 'avx2' | 'avx512';
export interface NativeKernels {
  /** detected: the best path this CPU runs; active: the one in use (SENTENCEVAE_KERNELS or setPath). */
  paths(): { detected: NativeKernelPath; active: NativeKernelPath; supported: NativeKernelPath[] };
  /** For the whole process; 'auto' returns to the detected path. */
  setPath(path: NativeKernelPath | 'auto'): void;
  /** x [..., in] · weight [out, in]^T (+ bias) on `path` ('off': LibTorch; int8 weights need `scale` [out, ceil(in/32)]). */
  linear(x: NativeTensor, weight: NativeTensor, scale: NativeTensor | null, bias: NativeTensor | null, path: NativeKernelPath): Promise<NativeTensor>;
  quantize(weight: NativeTensor): Promise<{ weight: NativeTensor; scale: NativeTensor }>;
  dequantize(weight: NativeTensor, scale: NativeTensor): Promise<NativeTensor>;
  /** The fused decode step of OPT layers (native/kernels/decode_step.h) on or off for the whole process (SENTENCEVAE_FUSED=0 starts it off). */
  setFused(on: boolean): void;
  fused(): boolean;
  /** Layer steps run fused so far: by the batched decode step and by the serving engine's per-row step. */
  fusedSteps(): { batched: number; rows: number };
  /** How many threads one parallel loop of the addon's own kernels runs on (1 when built without OpenMP), next to the configured count. */
  parallelThreads(): Promise<{ configured: number; used: number }>;
  /** Best of `repeats` multithreaded streaming reads of a `megabytes` buffer. */
  readBandwidth(megabytes: number, repeats: number): Promise<{ readGBs: number; seconds: number; threads: number }>;
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
    /** `crc32` (optional): the bytes' expected CRC-32, checked while reading; `name` labels a mismatch. */
    storages: { dtype: string; offset: number; nbytes: number; crc32?: number; name?: string }[],
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
  /** Training-mode dropout after out_proj and after fc2 (HF config.json `dropout`). @default 0 */
  dropout?: number;
  /** Dropout of the attention probabilities (HF `attention_dropout`). @default 0 */
  attentionDropout?: number;
  /** Dropout after the activation (HF `activation_dropout`; fairseq's, HF ignores it). @default 0 */
  activationDropout?: number;
}

export interface NativeOptSession {
  /** cacheBytes: the KV caches' allocated bytes; nativeMs: compute time of this step on the native thread. */
  next(): Promise<{ tokens: Int32Array; finished: Uint8Array; done: boolean; logits?: Float32Array; cacheBytes: number; nativeMs: number }>;
  dispose(): void;
}

/** The optimizer surface every trainable native model shares (native/bindings/trainable_bindings.h). */
export interface NativeTrainable {
  readonly parameterCount: number;
  configureTraining(options: NativeTrainingOptions, seed: number | null): Promise<void>;
  applyStep(options: { lr: number; clip: number }): Promise<NativeApplied>;
  trainingState(): Promise<NativeTrainingState>;
  loadTrainingState(tensors: Record<string, NativeTensor>, adamStep: number, lossScale: number): Promise<void>;
  swapEma(): Promise<void>;
  namedTensors(): Record<string, NativeTensor>;
  /** `partial`: parameters not named keep their values. */
  loadTensors(tensors: Record<string, NativeTensor>, options?: { partial?: boolean }): Promise<void>;
  /**
   * Averages the accumulated gradients over the group's ranks (bucketed all-reduce, in place) and
   * sums `values` over the ranks; a non-finite loss on any rank skips the step on every rank.
   */
  reduceGradients(group: NativeProcessGroup, values: Float64Array, options?: { bucketBytes?: number }): Promise<{ values: Float64Array; seconds: number }>;
  dispose(): void;
}

/** One torch.distributed process group (native/distributed): Gloo on the CPU, NCCL on CUDA builds. */
export interface NativeProcessGroup {
  barrier(): Promise<void>;
  /** In place; every rank passes the same names, shapes and dtypes. */
  allReduce(tensors: Record<string, NativeTensor>, op: 'sum' | 'mean'): Promise<void>;
  /** In place: `root`'s values into every rank's tensors. */
  broadcast(tensors: Record<string, NativeTensor>, root: number): Promise<void>;
  dispose(): void;
}

export interface NativeProcessGroupOptions {
  masterAddr: string;
  port: number;
  rank: number;
  worldSize: number;
  backend: 'gloo' | 'nccl';
  timeoutMs: number;
  /** Forming the group. @default timeoutMs */
  connectTimeoutMs?: number;
  /** Gloo's worker threads. */
  threads?: number;
}

export interface NativeProcessGroupClass {
  create(options: NativeProcessGroupOptions): Promise<NativeProcessGroup>;
  ncclAvailable(): boolean;
}

export interface NativeOPT extends NativeTrainable {
  logits(ids: Int32Array, shape: readonly number[], mask: Uint8Array): Promise<NativeTensor>;
  /** `score` [B, T] 0/1: only targets t with score[t] = 1 count. */
  nll(ids: Int32Array, shape: readonly number[], mask: Uint8Array, score?: Uint8Array): Promise<{ nll: number; tokens: number }>;
  generate(ids: Int32Array, shape: readonly number[], mask: Uint8Array, options: NativeDecodeOptions & { maxNewTokens?: number; ignoreEos?: boolean }): NativeOptSession;
  /** Next-token focal loss (γ = 0: cross-entropy) over right-padded rows, then backward × scale. */
  accumulate(ids: Int32Array, shape: readonly number[], mask: Uint8Array, options: { gamma?: number; scale?: number }): Promise<{ loss: number; ce: number; tokens: number; correct: number }>;
  /** A continuous-batching session (native/model/slots.h) with `slots` rows at most. */
  openSlots(options: { slots: number }): NativeOptSlots;
  /** Weights (Linears and the tied embedding) to int8 with per-block scales, in place: inference only after. */
  quantize(): Promise<void>;
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

/** Generation controls (native/model/sampling.h); every default leaves the logits unchanged. */
export interface NativeGenerationControls {
  repetitionPenalty?: number;
  noRepeatNgramSize?: number;
  /** OPT: eos banned before this many new tokens; SLLM: before this many tokens in a sentence. */
  minTokens?: number;
  /** SLLM: eos banned where the sentence would equal one already in the context. */
  noRepeatSentences?: boolean;
  presencePenalty?: number;
  frequencyPenalty?: number;
}

/** One row's history for ops.applyControls: its text as ids, where the prompt and the current unit end/start, its sentences. */
export interface NativeTokenHistory {
  tokens: readonly number[];
  prompt?: number;
  unitStart?: number;
  sentences?: readonly (readonly number[])[];
}

export interface NativeDecodeOptions extends NativeGenerationControls {
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
  /** 'token': mean over target tokens; 'sentence': summed per sentence, mean over sentences (paper Eq. 5). @default 'token' */
  lossReduction?: 'token' | 'sentence';
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

export interface NativeSentenceVAE extends NativeTrainable {
  encode(ids: Int32Array, shape: readonly number[], lengths: Int32Array): Promise<NativeTensor>;
  decode(vectors: NativeTensor, options: NativeDecodeOptions): Promise<NativeDecoded>;
  logits(ids: Int32Array, shape: readonly number[], lengths: Int32Array, vectors: NativeTensor, shortcut: boolean): Promise<NativeTensor>;
  evaluate(ids: Int32Array, shape: readonly number[], lengths: Int32Array, gamma: number): Promise<NativeLoss>;
  trainStep(ids: Int32Array, shape: readonly number[], lengths: Int32Array, options: NativeTrainOptions): Promise<NativeStep>;
  /** `scale` multiplies the loss before backward (1/accumulation; NaN poisons the step). */
  accumulate(ids: Int32Array, shape: readonly number[], lengths: Int32Array, options: { gamma?: number; scale?: number }): Promise<NativeLoss>;
}

export interface NativeSentenceVAEClass {
  create(config: NativeSvaeConfig, device: string, dtype: NativeDType, seed: number): Promise<NativeSentenceVAE>;
}

export interface NativeSllmConfig {
  svae: NativeSvaeConfig;
  /** The OPT stack (its vocabulary fields are unused: the SLLM has no token embedding). */
  llm: NativeOptConfig;
}

export interface NativeSllmLoss {
  loss: number;
  /** Mean cross-entropy of the decode targets (next sentences' tokens + eos). */
  ce: number;
  tokens: number;
  correct: number;
  stopLoss: number;
  stopCount: number;
  stopCorrect: number;
  /** evaluate() only (0 otherwise): summed NLL (nats) of content tokens, eos tokens and stop flags. */
  contentNll: number;
  contentTokens: number;
  eosNll: number;
  stopNll: number;
  targetSentences: number;
  /** Stop-head decisions (argmax) against the labels over real sentences; positive = "stop". */
  stopConfusion: { tp: number; fp: number; fn: number; tn: number };
}

export interface NativeSllmStep {
  /** [B, steps] generated ids per row (eos included where reached). */
  tokens: Int32Array;
  steps: number;
  /** Content tokens per row. */
  lengths: Int32Array;
  /** 1: the stop head ended this row at this step (no sentence from it). */
  stopped: Uint8Array;
  finished: Uint8Array;
  done: boolean;
  /** Allocated bytes of the sentence-level KV caches (before this step freed them, when done). */
  cacheBytes: number;
  /** Compute time of this step on the native thread (ms). */
  nativeMs: number;
  /** With returnHidden: the re-encoded new sentences [B, H]. */
  vectors?: NativeTensor;
  /** With returnHidden: the LLM output this step decoded from [B, H]. */
  hidden?: NativeTensor;
}

export interface NativeSllmSession {
  next(finishRows?: Uint8Array): Promise<NativeSllmStep>;
  dispose(): void;
}

export interface NativeSLLM extends NativeTrainable {
  /** Every Linear to int8 with per-block scales, in place: inference only after. */
  quantize(): Promise<void>;
  encode(ids: Int32Array, shape: readonly number[], lengths: Int32Array): Promise<NativeTensor>;
  /** Full forward: LLM outputs [B, S, H] of paragraphs [B, S, L] (lengths [B*S], 0 = none). */
  hidden(ids: Int32Array, shape: readonly number[], lengths: Int32Array): Promise<NativeTensor>;
  logits(ids: Int32Array, shape: readonly number[], lengths: Int32Array, memory: NativeTensor): Promise<NativeTensor>;
  evaluate(ids: Int32Array, shape: readonly number[], lengths: Int32Array, gamma: number): Promise<NativeSllmLoss>;
  accumulate(ids: Int32Array, shape: readonly number[], lengths: Int32Array, options: { gamma?: number; scale?: number; stopWeight?: number; stopBalanced?: boolean }): Promise<NativeSllmLoss>;
  generate(
    ids: Int32Array, shape: readonly number[], lengths: Int32Array, rows: Int32Array, rowsShape: readonly number[],
    options: NativeDecodeOptions & {
      maxSentences?: number; ignoreStop?: boolean; returnHidden?: boolean; sentenceTokens?: readonly number[];
      /** Tokens forced at the start of each row's first sentence: [B, prefixWidth] ids + per-row lengths [B]. */
      prefixIds?: Int32Array; prefixWidth?: number; prefixLengths?: Int32Array;
    },
  ): NativeSllmSession;
  /** requires_grad of parameters whose names start with a prefix; returns how many matched. */
  setTrainable(prefixes: readonly string[], trainable: boolean): number;
  /** A continuous-batching session (native/model/slots.h) with `slots` rows at most. */
  openSlots(options: { slots: number }): NativeSllmSlots;
}

/** Per-row sampling of a slot session's row (greedy: argmax; else temperature / top-k / top-p with the row's own seed). */
export interface NativeSlotSampling extends NativeGenerationControls {
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

/** A row joining an OPT slot session: its prompt ids (bos first) and its own limit and sampling. */
export interface NativeOptSlotAdd extends NativeSlotSampling {
  id: number;
  ids: Int32Array;
  /** Its KV cache holds prompt + maxNewTokens positions; remove the row before it generates more. */
  maxNewTokens: number;
}

export interface NativeOptSlotStep {
  /** Rows of this step in order (rows that joined now last: their first token). */
  ids: Int32Array;
  tokens: Int32Array;
  /** Rows in the session after the step. */
  busy: number;
  cacheBytes: number;
  nativeMs: number;
}

/** Rows join and leave between steps; step() removes, then steps the rows there, then prefills the new ones. */
export interface NativeOptSlots {
  step(remove: Int32Array | undefined, add: readonly NativeOptSlotAdd[]): Promise<NativeOptSlotStep>;
  dispose(): void;
}

/** A row joining an SLLM slot session: its prompt's sentence pieces [N, L] (bos first), limits and sampling. */
export interface NativeSllmSlotAdd extends NativeSlotSampling {
  id: number;
  ids: Int32Array;
  shape: readonly [number, number];
  lengths: Int32Array;
  /** Its sentence-level KV cache holds N + maxSentences positions. */
  maxSentences: number;
  maxSentenceTokens?: number;
  ignoreStop?: boolean;
  sentenceTokens?: readonly number[];
}

export interface NativeSllmSlotStep {
  /** Every row of this step in order (rows that joined now included). */
  ids: Int32Array;
  /** 1: the stop head ended the row (no sentence from it now). */
  stopped: Uint8Array;
  /** Content tokens of each row's sentence. */
  lengths: Int32Array;
  /** [n, steps] the sentences, row-major (content first, then eos / pad). */
  tokens: Int32Array;
  steps: number;
  busy: number;
  cacheBytes: number;
  nativeMs: number;
}

export interface NativeSllmSlots {
  step(remove: Int32Array | undefined, add: readonly NativeSllmSlotAdd[]): Promise<NativeSllmSlotStep>;
  dispose(): void;
}

export interface NativeSLLMClass {
  create(config: NativeSllmConfig, device: string, dtype: NativeDType, seed: number): Promise<NativeSLLM>;
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
  kernels: NativeKernels;
  io: NativeIO;
  NativeSentenceVAE: NativeSentenceVAEClass;
  NativeOPT: NativeOPTClass;
  NativeSLLM: NativeSLLMClass;
  NativeProcessGroup: NativeProcessGroupClass;
}
