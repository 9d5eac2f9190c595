import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DisposedError } from '../errors/DisposedError.js';
import { FormatError } from '../errors/FormatError.js';
import { callAsync, callSync } from '../native/call.js';
import type { NativeOPT, NativeOptSlots } from '../native/contract.js';
import { addon } from '../native/loader.js';
import { ParagraphDataset } from '../data/ParagraphDataset.js';
import { padRows, paragraphRow, type TokenBatch } from '../data/tokenRows.js';
import { saveSafetensors } from '../io/safetensors.js';
import { NativeTraining } from '../train/nativeTraining.js';
import type { AppliedStep, MicroStep, TrainableModel, TrainingSetup, TrainingSnapshot } from '../train/TrainableModel.js';
import type { Device } from '../tensor/Tensor.js';
import { Tensor } from '../tensor/Tensor.js';
import { Tokenizer } from '../text/Tokenizer.js';
import { nativeSampling, type SamplingOptions } from './sampling.js';
import { expectInteger, expectNumber, expectOneOf, invalid } from '../validate.js';
import { type OptConfig, readOptConfig } from './optConfig.js';
import { readOptWeights } from './optWeights.js';
import type { ModelDType } from './SentenceVAE.js';

export interface LoadOptOptions {
  /** @default 'cpu' */
  device?: Device;
  /** Weights are converted to this dtype on load. @default 'float32' */
  dtype?: ModelDType;
  /** A tokenizer when the folder has none. @default the folder's */
  tokenizer?: Tokenizer;
}

export interface OptGenerateOptions extends SamplingOptions {
  /** @default 32 */
  maxNewTokens?: number;
  /** Stops generation (the iterator ends; generate() resolves with what was produced). */
  signal?: AbortSignal;
  /** Called for every new token of every prompt. */
  onToken?: (event: TokenEvent) => void;
}

/** One generated token of one prompt. */
export interface TokenEvent {
  /** Index of the prompt. */
  row: number;
  token: number;
  /** The text this token adds (may be '' while a multi-byte character is incomplete). */
  text: string;
  /** 1-based index of the token in this row's completion. */
  index: number;
}

export interface ForwardInput {
  /** Token ids per row (bos first, as OPT expects). Rows of different lengths are left-padded. */
  inputIds: readonly ArrayLike<number>[];
  /** 1 for real tokens, per row, same lengths as inputIds. @default all ones */
  attentionMask?: readonly ArrayLike<number>[];
}

/** Left-pads rows into [B, T] ids and a 0/1 mask. */
function leftPad(rows: readonly ArrayLike<number>[], masks: readonly ArrayLike<number>[] | undefined, padId: number) {
  const t = rows.reduce((m, r) => Math.max(m, r.length), 0);
  if (rows.length === 0 || t === 0) invalid('at least one non-empty row', 'inputIds', rows);
  const ids = new Int32Array(rows.length * t).fill(padId);
  const mask = new Uint8Array(rows.length * t);
  rows.forEach((r, b) => {
    const start = b * t + (t - r.length);
    for (let i = 0; i < r.length; i++) {
      ids[start + i] = r[i]!;
      mask[start + i] = masks ? (masks[b]![i]! ? 1 : 0) : 1;
    }
  });
  return { ids, mask, shape: [rows.length, t] };
}

/**
 * OPT (Hugging Face checkpoints: facebook/opt-125m, -350m, -1.3b, ...) in native code:
 * forward, token-by-token generation with a KV cache, and evaluation. The baseline every SLLM
 * number is measured against.
 *
 * @example
 * ```ts
 * await using opt = await OPT.load('./opt-125m');
 * const [text] = await opt.generate(['Hello, my dog is'], { maxNewTokens: 20 });
 * for await (const t of opt.stream(['Once upon a time'])) process.stdout.write(t.text);
 * ```
 */
export class OPT implements AsyncDisposable, TrainableModel<TokenBatch, ParagraphDataset | readonly string[]> {
  readonly config: Readonly<OptConfig>;
  readonly tokenizer: Tokenizer;
  readonly device: string;
  readonly dtype: ModelDType;
  #native: NativeOPT | undefined;
  readonly #training = new NativeTraining(() => this.#live);

  private constructor(native: NativeOPT, config: OptConfig, tokenizer: Tokenizer, device: string, dtype: ModelDType) {
    this.#native = native;
    this.config = Object.freeze({ ...config });
    this.tokenizer = tokenizer;
    this.device = device;
    this.dtype = dtype;
  }

  /** Loads a Hugging Face OPT folder (config.json, weights, tokenizer files). */
  static async load(dir: string, options: LoadOptOptions = {}): Promise<OPT> {
    const config = await readOptConfig(dir);
    const tokenizer = options.tokenizer ?? (await Tokenizer.fromPretrained(dir));
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new FormatError(`${dir}: the tokenizer has ${tokenizer.vocabSize} ids but the model only ${config.vocabSize}`, { path: dir });
    }
    const dtype = expectOneOf(options.dtype ?? 'float32', 'dtype', ['float32', 'bfloat16', 'float16'] as const);
    const device = options.device ?? 'cpu';
    const weights = await readOptWeights(dir);
    const native = await callAsync(() => addon().NativeOPT.create({ ...config, tokenizerSize: tokenizer.vocabSize }, device, dtype, 0));
    try {
      const byName = Object.fromEntries([...weights.tensors].map(([k, t]) => [k, t.native]));
      await callAsync(() => native.loadTensors(byName)).catch((error: Error) => {
        throw new FormatError(`${weights.files.join(', ')}: ${error.message}`, { path: weights.files[0]! });
      });
    } catch (error) {
      native.dispose();
      throw error;
    } finally {
      for (const t of weights.tensors.values()) t.dispose();
    }
    return new OPT(native, config, tokenizer, callSync(() => addon().resolveDevice(device)), dtype);
  }

  /** An OPT with random weights (benchmarks, tests): the shape of `config`, seeded. */
  static async create(config: OptConfig, options: { tokenizer: Tokenizer; device?: Device; dtype?: ModelDType; seed?: number }): Promise<OPT> {
    const dtype = expectOneOf(options.dtype ?? 'float32', 'dtype', ['float32', 'bfloat16', 'float16'] as const);
    const device = options.device ?? 'cpu';
    const native = await callAsync(() => addon().NativeOPT.create({ ...config, tokenizerSize: options.tokenizer.vocabSize }, device, dtype, options.seed ?? 0));
    return new OPT(native, config, options.tokenizer, callSync(() => addon().resolveDevice(device)), dtype);
  }

  /** True when `dir` looks like a Hugging Face OPT folder. */
  static isOptFolder(dir: string): boolean {
    return existsSync(join(dir, 'config.json')) && ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'].some((f) => existsSync(join(dir, f)));
  }

  get #live(): NativeOPT {
    if (!this.#native) throw new DisposedError('This OPT model has been disposed');
    return this.#native;
  }

  get parameterCount(): number {
    return this.#live.parameterCount;
  }

  /** Full-sequence logits (float32) for left-padded rows: `logits` is row-major [B, T, V]. */
  async forward(input: ForwardInput): Promise<{ logits: Float32Array; dims: [number, number, number] }> {
    const { ids, mask, shape } = leftPad(input.inputIds, input.attentionMask, this.config.padId);
    const native = this.#live;
    const t = new Tensor(await callAsync(() => native.logits(ids, shape, mask)));
    try {
      return { logits: (await t.toArray()) as Float32Array, dims: [shape[0]!, shape[1]!, this.config.vocabSize] };
    } finally {
      t.dispose();
    }
  }

  /**
   * Streams generated tokens of one or more prompts (batched together, left-padded). Each
   * prompt stops at eos or `maxNewTokens`; aborting the signal ends the stream.
   */
  async *stream(prompts: string | readonly string[], options: OptGenerateOptions = {}): AsyncGenerator<TokenEvent> {
    const list = typeof prompts === 'string' ? [prompts] : prompts;
    if (!Array.isArray(list) || list.length === 0) invalid('a prompt or a non-empty array of prompts', 'prompts', prompts);
    const maxNewTokens = expectInteger(options.maxNewTokens ?? 32, 'maxNewTokens', 1);
    const nativeOptions = {
      maxNewTokens,
      ...nativeSampling(options),
    };
    const encoded = await this.tokenizer.encodeBatch(list as string[]);
    const { ids, mask, shape } = leftPad(encoded, undefined, this.config.padId);
    const native = this.#live;
    const session = callSync(() => native.generate(ids, shape, mask, nativeOptions));
    const generated: number[][] = list.map(() => []);
    const shown = list.map(() => '');
    const finished = list.map(() => false);
    try {
      for (;;) {
        if (options.signal?.aborted) return;
        const step = await callAsync(() => session.next());
        for (let row = 0; row < list.length; row++) {
          if (finished[row]) continue;
          const token = step.tokens[row]!;
          if (token === this.config.eosId) {
            finished[row] = true;
            continue;
          }
          generated[row]!.push(token);
          // Decode the whole completion and emit what is new; hold back a trailing partial character.
          const text = await this.tokenizer.decode(generated[row]!);
          const stable = text.endsWith('\ufffd') ? text.slice(0, text.lastIndexOf('\ufffd')) : text;
          const delta = stable.startsWith(shown[row]!) ? stable.slice(shown[row]!.length) : '';
          if (delta) shown[row] = stable;
          const event: TokenEvent = { row, token, text: delta, index: generated[row]!.length };
          options.onToken?.(event);
          yield event;
        }
        if (step.done) return;
      }
    } finally {
      session.dispose();
    }
  }

  /**
   * Greedy (or sampled) decoding of id rows, returning each step's tokens [B] and, with
   * `withLogits`, each step's logits (row-major [B, V], float32) from the KV-cached path.
   * For tests and analysis; `stream()` / `generate()` are the everyday API.
   */
  async decodeSteps(
    input: ForwardInput,
    options: Omit<OptGenerateOptions, 'onToken' | 'signal'> & { withLogits?: boolean; ignoreEos?: boolean; onStep?: (step: number, stats: { nativeMs: number; cacheBytes: number }) => void } = {},
  ): Promise<{ tokens: Int32Array[]; logits: Float32Array[] }> {
    const { ids, mask, shape } = leftPad(input.inputIds, input.attentionMask, this.config.padId);
    const native = this.#live;
    const session = callSync(() => native.generate(ids, shape, mask, {
      maxNewTokens: expectInteger(options.maxNewTokens ?? 32, 'maxNewTokens', 1),
      ...nativeSampling(options), returnLogits: options.withLogits ?? false, ignoreEos: options.ignoreEos ?? false,
    }));
    const tokens: Int32Array[] = [];
    const logits: Float32Array[] = [];
    try {
      for (;;) {
        const step = await callAsync(() => session.next());
        tokens.push(step.tokens);
        if (step.logits) logits.push(step.logits);
        options.onStep?.(tokens.length, { nativeMs: step.nativeMs, cacheBytes: step.cacheBytes });
        if (step.done) return { tokens, logits };
      }
    } finally {
      session.dispose();
    }
  }

  /**
   * Completions (the generated text only) for each prompt.
   * @example
   * ```ts
   * const [a, b] = await opt.generate(['Hello', 'The capital of France is'], { maxNewTokens: 10, onToken: (t) => {} });
   * ```
   */
  async generate(prompts: string | readonly string[], options: OptGenerateOptions = {}): Promise<string[]> {
    const list = typeof prompts === 'string' ? [prompts] : prompts;
    const ids: number[][] = (list as readonly string[]).map(() => []);
    for await (const e of this.stream(list, options)) ids[e.row]!.push(e.token);
    return this.tokenizer.decodeBatch(ids);
  }

  /**
   * Perplexity of held-out text.
   * - texts: every token of each text given the ones before it (bos first).
   * - a ParagraphDataset: each paragraph as [bos, sentences..., eos]; `ppl` counts the tokens of
   *   sentences 2..S and the final eos given everything before — the same tokens and the same
   *   quantity as SLLM.evaluate() — and `contentPpl` those tokens without the eos.
   * `gamma` is accepted (the Trainer passes it) and ignored: perplexity is cross-entropy.
   */
  async evaluate(
    data: readonly string[] | ParagraphDataset,
    options: { batchSize?: number; gamma?: number } = {},
  ): Promise<{ loss: number; ppl: number; tokens: number; contentPpl: number; tokenAccuracy: number; exactMatch: number }> {
    const batchSize = expectInteger(options.batchSize ?? 8, 'batchSize', 1);
    const paragraphs = data instanceof ParagraphDataset;
    if (!paragraphs && !Array.isArray(data)) invalid('ParagraphDataset or array of texts', 'data', data);
    const rows: { ids: Int32Array; firstEnd: number }[] = paragraphs
      ? Array.from({ length: data.size }, (_, p) => paragraphRow(data.get(p), this.tokenizer.bosId, this.tokenizer.eosId))
      : (await this.tokenizer.encodeBatch(data as string[])).map((ids) => ({ ids, firstEnd: 1 }));
    if (rows.length === 0) invalid('at least one text or paragraph', 'data', data);
    const native = this.#live;
    const all = { nll: 0, tokens: 0 };
    const content = { nll: 0, tokens: 0 };
    for (let start = 0; start < rows.length; start += batchSize) {
      const chunk = rows.slice(start, start + batchSize);
      // Right padding: positions follow the mask, and padded pairs are excluded.
      const { ids, mask, shape } = padRows(chunk.map((r) => r.ids), this.config.padId);
      let score: Uint8Array | undefined;
      let contentScore: Uint8Array | undefined;
      if (paragraphs) {
        score = new Uint8Array(ids.length);
        chunk.forEach((r, b) => score!.fill(1, b * shape[1] + r.firstEnd, b * shape[1] + r.ids.length));
        contentScore = score.slice();
        chunk.forEach((r, b) => (contentScore![b * shape[1] + r.ids.length - 1] = 0));
      }
      const r = await callAsync(() => native.nll(ids, shape, mask, score));
      all.nll += r.nll;
      all.tokens += r.tokens;
      if (contentScore) {
        const c = await callAsync(() => native.nll(ids, shape, mask, contentScore));
        content.nll += c.nll;
        content.tokens += c.tokens;
      }
    }
    return {
      loss: all.nll / all.tokens,
      ppl: Math.exp(all.nll / all.tokens),
      tokens: all.tokens,
      contentPpl: paragraphs ? Math.exp(content.nll / Math.max(1, content.tokens)) : Math.exp(all.nll / all.tokens),
      tokenAccuracy: Number.NaN,
      exactMatch: Number.NaN,
    };
  }

  // ---------------------------------------------------------------- training (TrainableModel)

  configureTraining(setup: TrainingSetup, seed: number | null): Promise<void> {
    return this.#training.configure(setup, seed);
  }

  /** Forward + backward of right-padded token rows (next-token focal loss; γ = 0 is cross-entropy). */
  async accumulate(batch: TokenBatch, options: { gamma: number; scale: number }): Promise<MicroStep> {
    const native = this.#live;
    return callAsync(() => native.accumulate(batch.ids, batch.shape, batch.mask, options));
  }

  applyStep(options: { lr: number; clip: number }): Promise<AppliedStep> {
    return this.#training.applyStep(options);
  }

  trainingSnapshot(): Promise<TrainingSnapshot> {
    return this.#training.snapshot();
  }

  restoreTraining(snapshot: TrainingSnapshot): Promise<void> {
    return this.#training.restore(snapshot);
  }

  withEma<T>(fn: () => Promise<T>): Promise<T> {
    return this.#training.withEma(fn);
  }

  loadNamedTensors(tensors: Map<string, Tensor>): Promise<void> {
    return this.#training.loadNamedTensors(tensors);
  }

  /** Writes a Hugging Face OPT folder (config.json, model.safetensors with model.decoder.* names, tokenizer files). */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const tensors = new Map([...this.namedTensors()].map(([k, t]) => [`model.${k}`, t]));
    try {
      await saveSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    const c = this.config;
    const hf = {
      model_type: 'opt', architectures: ['OPTForCausalLM'], vocab_size: c.vocabSize, hidden_size: c.hidden, ffn_dim: c.ffn,
      num_hidden_layers: c.layers, num_attention_heads: c.heads, max_position_embeddings: c.maxPositions,
      word_embed_proj_dim: c.wordEmbedProjDim, do_layer_norm_before: c.preNorm, _remove_final_layer_norm: c.preNorm && !c.finalNorm,
      activation_function: 'relu', pad_token_id: c.padId, bos_token_id: c.bosId, eos_token_id: c.eosId, torch_dtype: this.dtype,
    };
    await writeFile(join(dir, 'config.json'), `${JSON.stringify(hf, null, 2)}\n`);
    await this.tokenizer.copyFilesTo(dir);
  }

  /** The weights by name (decoder.*; views of the live parameters). */
  namedTensors(): Map<string, Tensor> {
    return this.#training.namedTensors();
  }

  /**
   * A continuous-batching session over this model, for the serving Engine (lib/serve/): rows join
   * and leave between token steps. Most code wants `Engine.create(opt)`, not this.
   * @internal
   */
  openSlots(slots: number): NativeOptSlots {
    const native = this.#live;
    return callSync(() => native.openSlots({ slots }));
  }

  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}
