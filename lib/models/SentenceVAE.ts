import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeOutputDir, readTextFileSync } from '../files.js';

import { FormatError } from '../errors/FormatError.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { DisposedError } from '../errors/DisposedError.js';
import { ShapeError } from '../errors/ShapeError.js';
import { readModelConfig } from '../io/json.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { callAsync, callSync } from '../native/call.js';
import type { NativeSentenceVAE } from '../native/contract.js';
import { addon } from '../native/loader.js';
import type { SentenceDataset } from '../data/SentenceDataset.js';
import type { DistributedContext } from '../distributed/DistributedContext.js';
import { NativeTraining } from '../train/nativeTraining.js';
import type { AppliedStep, EvalMetrics, MicroStep, TrainableModel, TrainingSetup, TrainingSnapshot } from '../train/TrainableModel.js';
import { padSentences, type SentenceBatch } from '../text/batch.js';
import { type BuiltinTokenizer, Tokenizer } from '../text/Tokenizer.js';
import type { Device } from '../tensor/Tensor.js';
import { Tensor } from '../tensor/Tensor.js';
import { nativeSampling, type SamplingOptions } from './sampling.js';
import { expectInteger, expectNumber, expectOneOf, expectOptions, expectString, invalid } from '../validate.js';
import { checkVectors } from './vectors.js';
import { checkConfig, type PresetName, presetNames, presets, recipeShape, roundUp, type SentenceVAEConfig } from './svaeConfig.js';
import type { RecipeName } from '../train/recipe.js';
import { type HubOptions, splitHubOptions } from '../io/hub/options.js';
import { localOrHub } from '../io/hub/resolve.js';
import { disposeAll } from '../tensor/disposeAll.js';
import { preloadAddon } from '../native/preload.js';
import { type CardFacts, readCardFacts, writeModelCard } from './modelCard.js';
import type { SaveOptions } from './SLLM.js';

export type ModelDType = 'float32' | 'bfloat16' | 'float16';

export interface CreateSentenceVAEOptions {
  /** A named shape (`tiny`, `small`, `SVAE-768-H1` … `SVAE-2048-H4`). @default 'tiny' */
  preset?: PresetName;
  /** Overrides of the preset's shape (e.g. `{ layers: 2, dropout: 0 }`). */
  config?: Partial<SentenceVAEConfig>;
  /** A Tokenizer, a built-in name, or a folder. @default the preset's built-in tokenizer */
  tokenizer?: Tokenizer | BuiltinTokenizer | string;
  /** @default 'cpu' */
  device?: Device;
  /** float16 needs CUDA. @default 'float32' */
  dtype?: ModelDType;
  /** Seed of the weight initialization. @default 0 */
  seed?: number;
  /** A training recipe's shape on top of the preset ('paper': post-LN blocks; see recipeShape). @default 'default' */
  recipe?: RecipeName;
}

export interface LoadSentenceVAEOptions {
  /** @default 'cpu' */
  device?: Device;
  /**
   * The precision the model runs in. 'auto' is the checkpoint's own, as for OPT.load and
   * SLLM.load: a SentenceVAE has no int8 form, so 'auto' is always 'float32' (trainable).
   * `vae.dtype` reports the resolved value, never 'auto'. float16 needs CUDA.
   * @default 'auto'
   * @example
   * ```ts
   * const vae = await SentenceVAE.load('./svae', { device: 'cuda', dtype: 'bfloat16' });
   * ```
   */
  dtype?: ModelDType | 'auto';
}

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens generated per sentence (eos included). @default config.maxTokens */
  maxTokens?: number;
}

export interface EncodeOptions {
  /** Sentences per native call (texts are grouped by length, so batches pad little). @default 256 */
  batchSize?: number;
}

export interface EvaluateOptions {
  /** @default 64 */
  batchSize?: number;
  /** Focal loss γ. @default 2 */
  gamma?: number;
  /** Also decode greedily to measure exact-match reconstruction. @default true */
  exactMatch?: boolean;
}

export interface Evaluation {
  /** Mean focal loss per target token. */
  loss: number;
  /** exp(mean token cross-entropy), teacher-forced. */
  ppl: number;
  /** Teacher-forced next-token accuracy. */
  tokenAccuracy: number;
  /** Fraction of sentences reconstructed exactly by greedy decoding (NaN when not measured). */
  exactMatch: number;
  /** Fraction of sentences whose every token is predicted right, teacher-forced. */
  teacherForcedExact: number;
  sentences: number;
  tokens: number;
}

export interface TrainStepOptions {
  /** Learning rate of this step. */
  lr: number;
  /** Focal loss γ. @default 2 */
  gamma?: number;
  /** Global L2 norm the gradients are clipped to (0: off). @default 1 */
  clip?: number;
  /** AdamW weight decay on tensors with ≥ 2 dims (fixed at the first step). @default 0.01 */
  weightDecay?: number;
  /** AdamW betas (fixed at the first step). @default [0.9, 0.999] */
  betas?: [number, number];
}

export interface StepResult {
  loss: number;
  ce: number;
  tokens: number;
  tokenAccuracy: number;
  gradNorm: number;
  /** The loss was NaN/Inf: no update happened. */
  skipped: boolean;
}

/** A SentenceBatch as padSentences() makes it: typed arrays whose sizes agree with batchSize × length. */
function checkSentenceBatch(batch: unknown): asserts batch is SentenceBatch {
  if (batch === null || typeof batch !== 'object' || Array.isArray(batch)) invalid('SentenceBatch (from padSentences or a dataset)', 'batch', batch);
  const b = batch as Partial<SentenceBatch>;
  const batchSize = expectInteger(b.batchSize, 'batch.batchSize', 1);
  const length = expectInteger(b.length, 'batch.length', 1);
  if (!(b.ids instanceof Int32Array)) invalid('Int32Array', 'batch.ids', b.ids);
  if (!(b.lengths instanceof Int32Array)) invalid('Int32Array', 'batch.lengths', b.lengths);
  if (b.ids.length !== batchSize * length) throw new ShapeError(`Expected ${batchSize * length} ids for batch.ids (batchSize × length) but received ${b.ids.length}`);
  if (b.lengths.length !== batchSize) throw new ShapeError(`Expected ${batchSize} lengths for batch.lengths but received ${b.lengths.length}`);
}

/**
 * A SentenceVAE: `encode` squeezes each sentence into one vector, `decode` expands vectors back
 * into sentences. The math runs natively (LibTorch) off the event loop.
 *
 * @example
 * ```ts
 * await using vae = await SentenceVAE.create({ preset: 'tiny' });
 * const vectors = await vae.encode(['Hello world.', 'How are you?']);  // Float32Array 2 × 128
 * const texts = await vae.decode(vectors);                              // untrained: noise
 * await vae.save('./my-svae');
 * const again = await SentenceVAE.load('./my-svae');
 * ```
 */
export class SentenceVAE implements AsyncDisposable, TrainableModel<SentenceBatch, SentenceDataset | readonly string[] | readonly Int32Array[]> {
  readonly config: Readonly<SentenceVAEConfig>;
  readonly tokenizer: Tokenizer;
  readonly device: string;
  readonly dtype: ModelDType;
  /** For recipes whose settings depend on the model (TrainableModel.kind). */
  readonly kind = 'svae' as const;
  #native: NativeSentenceVAE | undefined;
  readonly #training = new NativeTraining(() => this.#live);
  /** What the model card says beyond the config (the training run); kept in config.json. */
  #card: CardFacts = {};

  private constructor(native: NativeSentenceVAE, config: SentenceVAEConfig, tokenizer: Tokenizer, device: string, dtype: ModelDType) {
    this.#native = native;
    this.config = Object.freeze({ ...config });
    this.tokenizer = tokenizer;
    this.device = device;
    this.dtype = dtype;
  }

  /** A new model with freshly initialized weights. */
  static async create(options: CreateSentenceVAEOptions = {}): Promise<SentenceVAE> {
    options = expectOptions(options);
    if (options.config !== undefined) expectOptions(options.config, 'config');
    const presetName = expectOneOf(options.preset ?? 'tiny', 'preset', presetNames);
    const preset = presets[presetName];
    await preloadAddon(); // before the tokenizer: see OPT.load
    const tokenizer = await Tokenizer.resolve(options.tokenizer, preset.tokenizer);
    const config = checkConfig({
      ...preset.shape,
      ...recipeShape(options.recipe),
      vocabSize: roundUp(tokenizer.vocabSize, 8),
      tokenizerSize: tokenizer.vocabSize,
      padId: tokenizer.padId,
      bosId: tokenizer.bosId,
      eosId: tokenizer.eosId,
      ...options.config,
    });
    const dtype = expectOneOf(options.dtype ?? 'float32', 'dtype', ['float32', 'bfloat16', 'float16'] as const);
    const seed = expectInteger(options.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER);
    const device = options.device ?? 'cpu';
    await preloadAddon();
    const native = await callAsync(() => addon().NativeSentenceVAE.create(config, device, dtype, seed));
    return new SentenceVAE(native, config, tokenizer, callSync(() => addon().resolveDevice(device)), dtype);
  }

  /**
   * True when `dir` holds a SentenceVAE saved by `save()` (model.safetensors, and config.json
   * says "architecture": "SentenceVAE"); never throws.
   * @example
   * ```ts
   * if (SentenceVAE.isSentenceVaeFolder('./runs/svae/best')) console.log('a SentenceVAE');
   * ```
   */
  static isSentenceVaeFolder(dir: string): boolean {
    try {
      return existsSync(join(dir, 'model.safetensors')) && (JSON.parse(readTextFileSync(join(dir, 'config.json'))) as { architecture?: unknown }).architecture === 'SentenceVAE';
    } catch {
      return false;
    }
  }

  /**
   * Loads a SentenceVAE saved with `save()` and pushed to the Hugging Face Hub (`'ORG/NAME'` or
   * `'ORG/NAME@revision'`), through the standard Hugging Face cache, or from a local folder when
   * `id` is one. See docs/hub.md.
   * @example
   * ```ts
   * const vae = await SentenceVAE.fromPretrained('my-org/svae-768-h1', { offline: true });
   * ```
   */
  static async fromPretrained(id: string, options: LoadSentenceVAEOptions & HubOptions = {}): Promise<SentenceVAE> {
    const { hub, rest } = splitHubOptions<LoadSentenceVAEOptions>(options);
    return SentenceVAE.load(await localOrHub(id, 'SentenceVAE', hub), rest);
  }

  /** Loads a folder written by `save()`: config.json, model.safetensors, tokenizer files. */
  static async load(dir: string, options: LoadSentenceVAEOptions = {}): Promise<SentenceVAE> {
    expectString(dir, 'dir');
    options = expectOptions(options);
    const { path: configPath, raw } = await readModelConfig(dir, 'SentenceVAE');
    const config = checkConfig(raw, configPath);
    await preloadAddon(); // before the tokenizer: see OPT.load
    const tokenizer = await Tokenizer.fromPretrained(dir);
    if (tokenizer.vocabSize !== config.tokenizerSize) {
      throw new FormatError(`${dir}: the tokenizer has ${tokenizer.vocabSize} ids but config.json says tokenizerSize ${config.tokenizerSize}`, { path: dir });
    }
    const requested = expectOneOf(options.dtype ?? 'auto', 'dtype', ['auto', 'float32', 'bfloat16', 'float16'] as const);
    const dtype = requested === 'auto' ? 'float32' : requested;
    const device = options.device ?? 'cpu';
    await preloadAddon();
    const weights = await loadSafetensors(join(dir, 'model.safetensors'));
    const native = await callAsync(() => addon().NativeSentenceVAE.create(config, device, dtype, 0));
    try {
      const byName = Object.fromEntries([...weights].map(([k, t]) => [k, t.native]));
      await callAsync(() => native.loadTensors(byName)).catch((error: Error) => {
        throw new FormatError(`${join(dir, 'model.safetensors')}: ${error.message}`, { path: join(dir, 'model.safetensors') });
      });
    } catch (error) {
      native.dispose();
      throw error;
    } finally {
      await disposeAll(weights.values());
    }
    const vae = new SentenceVAE(native, config, tokenizer, callSync(() => addon().resolveDevice(device)), dtype);
    vae.#card = readCardFacts(raw);
    return vae;
  }

  get #live(): NativeSentenceVAE {
    if (!this.#native) throw new DisposedError('This SentenceVAE has been disposed');
    return this.#native;
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.#live.parameterCount;
  }

  /** Token ids (bos first) of each text; a text over `maxTokens` tokens is an error. */
  async tokenize(texts: readonly string[]): Promise<Int32Array[]> {
    if (!Array.isArray(texts)) invalid('array of strings', 'texts', texts);
    const ids = await this.tokenizer.encodeBatch(texts);
    ids.forEach((x, i) => {
      if (x.length > this.config.maxTokens) {
        throw new InvalidArgumentError(
          `texts[${i}] has ${x.length} tokens (bos included) but the model takes at most ${this.config.maxTokens}: split long text with segment() / tokenizeText()`,
        );
      }
    });
    return ids;
  }

  /**
   * Pieces given as ids (bos first): each a non-empty Int32Array of at most maxTokens ids in the
   * model's vocabulary, so a too-long row is a clear error rather than LibTorch's.
   */
  #checkPieces(pieces: readonly unknown[], name: string): void {
    const { maxTokens, vocabSize } = this.config;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (!(p instanceof Int32Array) || p.length === 0) invalid('non-empty Int32Array of token ids (bos first)', `${name}[${i}]`, p);
      if (p.length > maxTokens) {
        throw new InvalidArgumentError(`Expected at most ${maxTokens} tokens (bos included) for ${name}[${i}] but received ${p.length}: split long text with segment() / tokenizeText()`);
      }
      for (let k = 0; k < p.length; k++) {
        if (p[k]! < 0 || p[k]! >= vocabSize) invalid(`token id in [0, ${vocabSize})`, `${name}[${i}][${k}]`, p[k]);
      }
    }
  }

  /** Texts tokenized (each within maxTokens), or pieces given as ids checked. */
  async #ids(texts: readonly string[] | readonly Int32Array[]): Promise<readonly Int32Array[]> {
    if (Array.isArray(texts) && texts.length > 0 && typeof texts[0] !== 'string') {
      this.#checkPieces(texts, 'texts');
      return texts as readonly Int32Array[];
    }
    return this.tokenize(texts as readonly string[]);
  }

  /**
   * Sentence vectors (texts, or ids with bos first) on the model's device, in its dtype:
   * [n, hidden]. The caller disposes the Tensor.
   * @example
   * ```ts
   * const v = await vae.encodeToTensor(['It was late.']);
   * try { console.log(await vae.decode(v)); } finally { v.dispose(); }
   * ```
   */
  async encodeToTensor(texts: readonly string[] | readonly Int32Array[]): Promise<Tensor> {
    const ids = await this.#ids(texts);
    const batch = padSentences(ids, { padId: this.config.padId });
    const native = this.#live;
    return new Tensor(await callAsync(() => native.encode(batch.ids, [batch.batchSize, batch.length], batch.lengths)));
  }

  /**
   * One vector per sentence (texts, or ids with bos first as from tokenizeText()): a
   * Float32Array of n × hidden, row-major, whatever the model's dtype and device — the same
   * kind of value as SLLM.encode(). encodeToTensor() keeps the vectors on the device instead.
   * @example
   * ```ts
   * const v = await vae.encode(['It was warm,']); // v.length === vae.config.hidden
   * const pieces = await tokenizeText(vae.tokenizer, longText, { maxTokens: vae.config.maxTokens });
   * const all = await vae.encode(pieces.map((p) => p.ids));
   * ```
   */
  async encode(texts: readonly string[] | readonly Int32Array[], options: EncodeOptions = {}): Promise<Float32Array> {
    const batchSize = expectInteger(options.batchSize ?? 256, 'batchSize', 1);
    const { hidden, padId } = this.config;
    const ids = await this.#ids(texts);
    // Batches of similar length pad little; results go back to the callers' order.
    const order = Array.from(ids.keys()).sort((a, b) => ids[a]!.length - ids[b]!.length);
    const out = new Float32Array(texts.length * hidden);
    const native = this.#live;
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const batch = padSentences(rows.map((i) => ids[i]!), { padId });
      const tensor = new Tensor(await callAsync(() => native.encode(batch.ids, [batch.batchSize, batch.length], batch.lengths)));
      try {
        const f32 = tensor.dtype === 'float32' && tensor.device === 'cpu' ? tensor : await tensor.to('cpu', 'float32');
        const values = (await f32.toArray()) as Float32Array;
        rows.forEach((i, k) => out.set(values.subarray(k * hidden, (k + 1) * hidden), i * hidden));
        if (f32 !== tensor) f32.dispose();
      } finally {
        tensor.dispose();
      }
    }
    return out;
  }

  /**
   * Generated ids per vector (bos and eos excluded) and whether eos was reached. With
   * `withLogits`, also the logits of every step ([n, steps, V], float32) for analysis.
   */
  async decodeIds(
    vectors: Float32Array | Tensor,
    options: GenerateOptions & { withLogits?: boolean } = {},
  ): Promise<{ ids: Int32Array[]; ended: boolean[]; logits?: Tensor }> {
    const native = this.#live;
    const { hidden } = this.config;
    let tensor: Tensor;
    let owned = false;
    options = expectOptions(options);
    if (vectors instanceof Tensor) {
      tensor = vectors; // its shape is checked natively
    } else {
      if (!(vectors instanceof Float32Array) || vectors.length % hidden !== 0) {
        invalid(`Float32Array of n × ${hidden} numbers or a Tensor`, 'vectors', vectors);
      }
      tensor = Tensor.borrow(vectors, { shape: [vectors.length / hidden, hidden] });
      owned = true;
    }
    const nativeOptions = {
      maxTokens: expectInteger(options.maxTokens ?? this.config.maxTokens, 'maxTokens', 1, this.config.maxTokens),
      ...nativeSampling(options),
      returnLogits: options.withLogits ?? false,
    };
    try {
      const nt = tensor.native;
      const r = await callAsync(() => native.decode(nt, nativeOptions));
      const n = r.lengths.length;
      const ids = Array.from({ length: n }, (_, i) => r.tokens.slice(i * r.steps, i * r.steps + r.lengths[i]!));
      const ended = Array.from(r.ended, (e) => e === 1);
      return r.logits ? { ids, ended, logits: new Tensor(r.logits) } : { ids, ended };
    } finally {
      if (owned) tensor.dispose();
    }
  }

  /** Sentences from vectors (n × hidden Float32Array, or a Tensor from encodeToTensor). */
  async decode(vectors: Float32Array | Tensor, options: GenerateOptions = {}): Promise<string[]> {
    const { ids } = await this.decodeIds(vectors, options);
    return this.tokenizer.decodeBatch(ids);
  }

  /** encode then decode: what the model makes of each sentence. */
  async reconstruct(texts: readonly string[], options: GenerateOptions = {}): Promise<string[]> {
    const vectors = await this.encodeToTensor(texts);
    try {
      return await this.decode(vectors, options);
    } finally {
      vectors.dispose();
    }
  }

  /**
   * Loss, perplexity, token accuracy and exact-match reconstruction on held-out sentences:
   * texts, token-id pieces (bos first), or a SentenceDataset.
   */
  async evaluate(data: SentenceDataset | readonly string[] | readonly Int32Array[], options: EvaluateOptions = {}): Promise<Evaluation> {
    options = expectOptions(options);
    const batchSize = expectInteger(options.batchSize ?? 64, 'batchSize', 1);
    const gamma = expectNumber(options.gamma ?? 2, 'gamma', 0);
    let pieces: Int32Array[];
    if (Array.isArray(data)) {
      pieces = data.length > 0 && typeof data[0] === 'string' ? await this.tokenize(data as readonly string[]) : [...(data as readonly Int32Array[])];
    } else {
      const ds = data as SentenceDataset;
      if (ds === null || typeof ds !== 'object' || typeof ds.size !== 'number' || typeof ds.get !== 'function') {
        invalid('SentenceDataset, array of texts or array of Int32Array pieces', 'data', data);
      }
      pieces = Array.from({ length: ds.size }, (_, i) => ds.get(i));
    }
    if (pieces.length === 0) invalid('at least one sentence', 'data', data);
    this.#checkPieces(pieces, 'data');
    const native = this.#live;
    let loss = 0, ce = 0, tokens = 0, correct = 0, rowsExact = 0, exact = 0;
    for (let start = 0; start < pieces.length; start += batchSize) {
      const rows = pieces.slice(start, start + batchSize);
      const b = padSentences(rows, { padId: this.config.padId });
      const r = await callAsync(() => native.evaluate(b.ids, [b.batchSize, b.length], b.lengths, gamma));
      loss += r.loss * r.tokens;
      ce += r.ce * r.tokens;
      tokens += r.tokens;
      correct += r.correct;
      rowsExact += r.rowsExact;
      if (options.exactMatch ?? true) {
        const omega = new Tensor(await callAsync(() => native.encode(b.ids, [b.batchSize, b.length], b.lengths)));
        try {
          // An exact match needs at most the target's tokens + eos: decoding further is wasted.
          const { ids, ended } = await this.decodeIds(omega, { maxTokens: Math.min(this.config.maxTokens, b.length) });
          rows.forEach((row, i) => {
            const got = ids[i]!;
            if (ended[i] && got.length === row.length - 1 && got.every((id, j) => id === row[j + 1])) exact++;
          });
        } finally {
          omega.dispose();
        }
      }
    }
    const n = pieces.length;
    return {
      loss: loss / tokens,
      ppl: Math.exp(ce / tokens),
      tokenAccuracy: correct / tokens,
      exactMatch: (options.exactMatch ?? true) ? exact / n : Number.NaN,
      teacherForcedExact: rowsExact / n,
      sentences: n,
      tokens,
    };
  }

  /**
   * One optimizer step on a batch (forward, focal loss, backward, clipping, AdamW), natively.
   * The first call sets up the optimizer with this call's weightDecay/betas. The Trainer
   * (lib/train) uses the finer-grained calls below (accumulation, EMA, checkpoints).
   */
  async trainStep(batch: SentenceBatch, options: TrainStepOptions): Promise<StepResult> {
    checkSentenceBatch(batch);
    if (options === null || typeof options !== 'object' || Array.isArray(options)) invalid('options object with lr (the learning rate)', 'options', options);
    const native = this.#live;
    const betas = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) invalid('[beta1, beta2]', 'betas', betas);
    const beta1 = expectNumber(betas[0], 'betas[0]', 0, 0.999999);
    const beta2 = expectNumber(betas[1], 'betas[1]', 0, 0.999999);
    const r = await callAsync(() => native.trainStep(batch.ids, [batch.batchSize, batch.length], batch.lengths, {
      lr: expectNumber(options.lr, 'lr', 0, 10),
      gamma: expectNumber(options.gamma ?? 2, 'gamma', 0, 100),
      clip: expectNumber(options.clip ?? 1, 'clip', 0),
      weightDecay: expectNumber(options.weightDecay ?? 0.01, 'weightDecay', 0),
      beta1, beta2,
    }));
    return { loss: r.loss, ce: r.ce, tokens: r.tokens, tokenAccuracy: r.correct / r.tokens, gradNorm: r.gradNorm, skipped: r.skipped };
  }

  /** Fresh optimizer state (and EMA of the current weights); reseeds the model's RNG when `seed` is a number. */
  configureTraining(setup: TrainingSetup, seed: number | null): Promise<void> {
    return this.#training.configure(setup, seed);
  }

  /** Forward + backward of one micro-batch; gradients add up until applyStep(). */
  async accumulate(batch: SentenceBatch, options: { gamma: number; scale: number }): Promise<MicroStep> {
    const native = this.#live;
    return callAsync(() => native.accumulate(batch.ids, [batch.batchSize, batch.length], batch.lengths, options));
  }

  /** Clip + AdamW update + EMA, or a skip when a loss or gradient was not finite. */
  applyStep(options: { lr: number; clip: number }): Promise<AppliedStep> {
    return this.#training.applyStep(options);
  }

  /** Data-parallel training: averages the accumulated gradients over the group's ranks (the Trainer calls it). */
  reduceGradients(group: DistributedContext, values: Float64Array): Promise<{ values: Float64Array; seconds: number }> {
    return this.#training.reduceGradients(group, values);
  }

  trainingSnapshot(): Promise<TrainingSnapshot> {
    return this.#training.snapshot();
  }

  restoreTraining(snapshot: TrainingSnapshot): Promise<void> {
    return this.#training.restore(snapshot);
  }

  /** Runs `fn` with the EMA weights swapped in (when training keeps an EMA), then swaps back. */
  withEma<T>(fn: () => Promise<T>): Promise<T> {
    return this.#training.withEma(fn);
  }

  /** Replaces the weights (same names and shapes as namedTensors()). */
  loadNamedTensors(tensors: Map<string, Tensor>): Promise<void> {
    return this.#training.loadNamedTensors(tensors);
  }

  /**
   * Teacher-forced decoder logits [B, L, V] for sentences (texts, or ids with bos first) given
   * their memory vectors. `shortcut` computes each cross-attention as its single-key constant.
   */
  async logits(sentences: readonly string[] | readonly Int32Array[], vectors: Tensor, options: { shortcut?: boolean } = {}): Promise<Tensor> {
    if (!Array.isArray(sentences) || sentences.length === 0) invalid('a non-empty array of sentences', 'sentences', sentences);
    if (!(vectors instanceof Tensor)) invalid('Tensor', 'vectors', vectors);
    options = expectOptions(options);
    checkVectors(vectors, sentences.length, this.config.hidden, 'vectors');
    const ids = typeof sentences[0] === 'string' ? await this.tokenize(sentences as readonly string[]) : (sentences as readonly Int32Array[]);
    this.#checkPieces(ids, 'sentences');
    const b = padSentences(ids, { padId: this.config.padId });
    const native = this.#live;
    const nv = vectors.native;
    return new Tensor(await callAsync(() => native.logits(b.ids, [b.batchSize, b.length], b.lengths, nv, options.shortcut ?? false)));
  }

  /** The weights by name (views of the live parameters: do not keep them across training steps). */
  namedTensors(): Map<string, Tensor> {
    return this.#training.namedTensors();
  }

  /**
   * Writes config.json, model.safetensors (atomically), the tokenizer's files and a Hub model card
   * (README.md: what it is, how it was trained when a Trainer exported it, how to load it with
   * fromPretrained) to `dir`. A README.md you wrote yourself is kept (only a card save() generated
   * is replaced).
   * @example
   * ```ts
   * await vae.save('./my-svae');
   * ```
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    expectString(dir, 'dir');
    const o = expectOptions(options);
    if (o.training !== undefined) this.#card = { ...this.#card, training: o.training };
    await makeOutputDir(dir);
    const tensors = this.namedTensors();
    try {
      await saveSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt', architecture: 'SentenceVAE' });
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    const card = Object.keys(this.#card).length > 0 ? { card: this.#card } : {};
    await writeFile(join(dir, 'config.json'), `${JSON.stringify({ architecture: 'SentenceVAE', ...this.config, ...card }, null, 2)}\n`);
    await this.tokenizer.copyFilesTo(dir);
    if (o.modelCard !== false) {
      const c = this.config;
      await writeModelCard(dir, {
        kind: 'SentenceVAE', parameters: this.parameterCount, tokenizerSize: c.tokenizerSize,
        shape: `hidden ${c.hidden}, ${c.layers} encoder/decoder block(s), ${c.heads} heads, FFN ${c.ffn}, ${c.norm}-LN, ${c.activation}, up to ${c.maxTokens} tokens per sentence`,
      }, this.#card);
    }
  }

  /** Frees the native model now (calls in flight finish first). Safe to call twice. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}
