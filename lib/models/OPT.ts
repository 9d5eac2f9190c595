import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeOutputDir } from '../files.js';

import { DisposedError } from '../errors/DisposedError.js';
import { FormatError } from '../errors/FormatError.js';
import { MissingTokenizerError } from '../errors/MissingTokenizerError.js';
import { ShapeError } from '../errors/ShapeError.js';
import { callAsync, callSync } from '../native/call.js';
import type { NativeOPT, NativeOptSlots } from '../native/contract.js';
import { addon } from '../native/loader.js';
import { ParagraphDataset } from '../data/ParagraphDataset.js';
import { padRows, paragraphRow, type TokenBatch } from '../data/tokenRows.js';
import { saveSafetensors } from '../io/safetensors.js';
import type { DistributedContext } from '../distributed/DistributedContext.js';
import { NativeTraining } from '../train/nativeTraining.js';
import type { AppliedStep, MicroStep, TrainableModel, TrainingSetup, TrainingSnapshot } from '../train/TrainableModel.js';
import type { Device } from '../tensor/Tensor.js';
import { Tensor } from '../tensor/Tensor.js';
import { Tokenizer } from '../text/Tokenizer.js';
import { type GenerationControlOptions, nativeControls, nativeSampling, type SamplingOptions, stopStrings } from './sampling.js';
import { StopText } from '../text/stopText.js';
import { expectInteger, expectNumber, expectOneOf, expectOptions, expectString, invalid } from '../validate.js';
import { type OptConfig, readOptConfig } from './optConfig.js';
import { readOptWeights } from './optWeights.js';
import { checkSignal } from './abort.js';
import { disposeAll } from '../tensor/disposeAll.js';
import { preloadAddon } from '../native/preload.js';
import type { HubOptions } from '../io/hub/options.js';
import { splitHubOptions } from '../io/hub/options.js';
import { localOrHub } from '../io/hub/resolve.js';
import type { ModelDType } from './SentenceVAE.js';
import { checkInt8Device, holdsInt8, type InferenceDType, inferenceDTypes, type LoadDType, loadDTypes, nativeDType, resolveLoadDType, savedAsInt8 } from './inferenceDType.js';

export interface LoadOptOptions {
  /** @default 'cpu' */
  device?: Device;
  /**
   * The precision the model runs in. 'auto' is the checkpoint's own: 'int8' for a folder saved
   * from an int8 model (its only way to load: CPU, inference), 'float32' for any float checkpoint
   * (fp32/fp16/bf16; trainable). 'auto' never quantizes: for fast CPU inference, quantize once
   * (`sentencevae quantize <in> <out>`, or load with 'int8' and save) and every later default load
   * is int8. Another value converts the float weights on load; 'int8' quantizes them (weight-only,
   * blocks of 32; CPU and inference only). An int8 folder with a dtype other than 'auto' / 'int8',
   * or on a non-CPU device, is a DTypeError. `opt.dtype` reports the resolved value, never 'auto'.
   * @default 'auto'
   * @example
   * ```ts
   * const opt = await OPT.load('./opt-125m');                      // float32: trainable
   * const int8 = await OPT.load('./opt-125m', { dtype: 'int8' });  // quantized at load
   * await int8.save('./opt-125m-int8');
   * const fast = await OPT.load('./opt-125m-int8');                // int8 by default
   * ```
   */
  dtype?: LoadDType;
  /**
   * The tokenizer of the text APIs. Without one and without tokenizer files in the folder, the
   * model still loads: the id-level APIs (forward, decodeSteps, evaluate of a ParagraphDataset)
   * work, and the text APIs throw MissingTokenizerError.
   * @default the folder's tokenizer files, when it has them
   * @example
   * ```ts
   * await OPT.load('./weights-only', { tokenizer: await Tokenizer.fromPretrained('./opt-125m') });
   * ```
   */
  tokenizer?: Tokenizer;
}

export interface OptGenerateOptions extends SamplingOptions, GenerationControlOptions {
  /** @default 32 */
  maxNewTokens?: number;
  /** Hugging Face's min_new_tokens: eos cannot come before this many new tokens. @default 0 */
  minNewTokens?: number;
  /**
   * Cancels the generation: the current native step finishes (at most one token per prompt),
   * no event is yielded after the abort, and the iteration (or generate()'s Promise)
   * rejects with `signal.reason` — a DOMException named 'AbortError' for `controller.abort()`,
   * or the reason given to `controller.abort(reason)` — as Node's own APIs and fetch do. A
   * signal already aborted rejects before any work.
   * @example
   * ```ts
   * const controller = new AbortController();
   * setTimeout(() => controller.abort(), 1000);
   * try {
   *   for await (const e of opt.stream('Hello', { maxNewTokens: 500, signal: controller.signal })) process.stdout.write(e.text);
   * } catch (error) {
   *   if ((error as Error).name !== 'AbortError') throw error;
   * }
   * ```
   */
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

const isRow = (r: unknown): r is ArrayLike<unknown> => Array.isArray(r) || (ArrayBuffer.isView(r) && !(r instanceof DataView));

/**
 * Checks a ForwardInput (every id an integer in [0, vocabSize), one mask row per id row and of
 * its length, mask values 0/1) and left-pads it into [B, T] ids and a 0/1 mask.
 */
function leftPad(input: unknown, padId: number, vocabSize: number) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) invalid('{ inputIds, attentionMask? } object', 'input', input);
  const { inputIds: rows, attentionMask: masks } = input as { inputIds?: unknown; attentionMask?: unknown };
  if (!Array.isArray(rows) || rows.length === 0) invalid('non-empty array of id rows', 'inputIds', rows);
  if (masks !== undefined) {
    if (!Array.isArray(masks)) invalid('array of 0/1 rows', 'attentionMask', masks);
    if (masks.length !== rows.length) throw new ShapeError(`Expected ${rows.length} attentionMask rows (one per inputIds row) but received ${masks.length}`);
  }
  let t = 0;
  for (let b = 0; b < rows.length; b++) {
    const r: unknown = rows[b];
    if (!isRow(r) || r.length === 0) invalid('non-empty array of token ids', `inputIds[${b}]`, r);
    t = Math.max(t, r.length);
    if (masks !== undefined) {
      const m: unknown = masks[b];
      if (!isRow(m)) invalid('array of 0/1', `attentionMask[${b}]`, m);
      if (m.length !== r.length) throw new ShapeError(`Expected attentionMask[${b}] of length ${r.length} (as inputIds[${b}]) but received length ${m.length}`);
    }
  }
  const ids = new Int32Array(rows.length * t).fill(padId);
  const mask = new Uint8Array(rows.length * t);
  rows.forEach((r: ArrayLike<unknown>, b) => {
    const m = masks === undefined ? undefined : (masks[b] as ArrayLike<unknown>);
    const start = b * t + (t - r.length);
    for (let i = 0; i < r.length; i++) {
      ids[start + i] = expectInteger(r[i], `inputIds[${b}][${i}]`, 0, vocabSize - 1);
      if (m === undefined) mask[start + i] = 1;
      else if (m[i] === 0 || m[i] === 1 || typeof m[i] === 'boolean') mask[start + i] = m[i] ? 1 : 0;
      else invalid('0 or 1', `attentionMask[${b}][${i}]`, m[i]);
    }
  });
  return { ids, mask, shape: [rows.length, t] };
}

/** A prompt or a non-empty array of prompts, as a checked list. */
function promptList(prompts: unknown): readonly string[] {
  const list = typeof prompts === 'string' ? [prompts] : prompts;
  if (!Array.isArray(list) || list.length === 0) invalid('a prompt or a non-empty array of prompts', 'prompts', prompts);
  for (let i = 0; i < list.length; i++) expectString(list[i], `prompts[${i}]`);
  return list as readonly string[];
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
  readonly device: string;
  readonly dtype: InferenceDType;
  readonly #tokenizer: Tokenizer | undefined;
  /** Where the model came from, for MissingTokenizerError's message. */
  readonly #source: string;
  /** For recipes whose settings depend on the model (TrainableModel.kind). */
  readonly kind = 'opt' as const;
  #native: NativeOPT | undefined;
  readonly #training = new NativeTraining(() => this.#live);

  private constructor(native: NativeOPT, config: OptConfig, tokenizer: Tokenizer | undefined, device: string, dtype: InferenceDType, source: string) {
    this.#native = native;
    this.config = Object.freeze({ ...config });
    this.#tokenizer = tokenizer;
    this.#source = source;
    this.device = device;
    this.dtype = dtype;
  }

  /**
   * The tokenizer of the text APIs. Throws MissingTokenizerError when the model was loaded
   * without one (see `hasTokenizer`).
   */
  get tokenizer(): Tokenizer {
    if (!this.#tokenizer) {
      throw new MissingTokenizerError(
        `This OPT (${this.#source}) has no tokenizer: text APIs (generate, stream, evaluate of texts) need one. ` +
          "Give it when loading: OPT.load(dir, { tokenizer: await Tokenizer.fromPretrained('<folder with tokenizer.json or vocab.json + merges.txt>') }), " +
          'or put the tokenizer files in the model folder; id-level APIs (forward, decodeSteps) work without one',
      );
    }
    return this.#tokenizer;
  }

  /** False when the model was loaded without a tokenizer (only id-level APIs work). */
  get hasTokenizer(): boolean {
    return this.#tokenizer !== undefined;
  }

  /**
   * Loads a Hugging Face OPT folder (config.json, weights, and tokenizer files when present: a
   * folder without them loads for the id-level APIs).
   */
  static async load(dir: string, options: LoadOptOptions = {}): Promise<OPT> {
    expectString(dir, 'dir');
    const o = expectOptions(options);
    if (o.tokenizer !== undefined && !(o.tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', o.tokenizer);
    const requested = expectOneOf(o.dtype ?? 'auto', 'dtype', loadDTypes);
    if (requested === 'int8') checkInt8Device(requested, callSync(() => addon().resolveDevice(o.device ?? 'cpu')));
    // LibTorch's dlopen on a worker thread, awaited before anything else: while a dlopen holds the
    // loader's lock, the main thread's own first calls into other native modules (the tokenizer)
    // would wait for it (measured: ~1 s stalls when they overlapped).
    await preloadAddon();
    const config = await readOptConfig(dir);
    const tokenizer = o.tokenizer ?? (Tokenizer.hasFiles(dir) ? await Tokenizer.fromPretrained(dir) : undefined);
    if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
      throw new FormatError(`${dir}: the tokenizer has ${tokenizer.vocabSize} ids but the model only ${config.vocabSize}`, { path: dir });
    }
    const device = o.device ?? 'cpu';
    const resolvedDevice = callSync(() => addon().resolveDevice(device));
    // From the header alone, before any weight is read: an int8 folder on the wrong dtype or device fails at once.
    const dtype = resolveLoadDType(requested, await savedAsInt8(dir), resolvedDevice, dir);
    const weights = await readOptWeights(dir);
    // Sampling never picks ids the tokenizer cannot decode; without a tokenizer every id is fair.
    const tokenizerSize = tokenizer?.vocabSize ?? config.vocabSize;
    const native = await callAsync(() => addon().NativeOPT.create({ ...config, tokenizerSize }, device, nativeDType(dtype), 0));
    try {
      // A folder saved from an int8 model holds int8 weights and their scales: quantize first.
      const quantized = holdsInt8(weights.tensors.keys());
      resolveLoadDType(dtype, quantized, resolvedDevice, dir); // int8 weights outside model.safetensors (not written by save())
      if (quantized) await callAsync(() => native.quantize());
      const byName = Object.fromEntries([...weights.tensors].map(([k, t]) => [k, t.native]));
      await callAsync(() => native.loadTensors(byName)).catch((error: Error) => {
        throw new FormatError(`${weights.files.join(', ')}: ${error.message}`, { path: weights.files[0]! });
      });
      if (dtype === 'int8' && !quantized) await callAsync(() => native.quantize());
    } catch (error) {
      native.dispose();
      throw error;
    } finally {
      await disposeAll(weights.tensors.values());
    }
    return new OPT(native, config, tokenizer, resolvedDevice, dtype, dir);
  }

  /**
   * Loads an OPT from the Hugging Face Hub (`'ORG/NAME'` or `'ORG/NAME@revision'`) through the
   * standard Hugging Face cache (shared with Python's huggingface_hub), or from a local folder
   * when `id` is one. Downloads only what loading needs: config.json, model.safetensors
   * (preferred; sharded or not) or else pytorch_model.bin, and the tokenizer files. See
   * docs/hub.md for the cache, HF_TOKEN, HF_HUB_OFFLINE and HF_ENDPOINT.
   * @example
   * ```ts
   * const opt = await OPT.fromPretrained('facebook/opt-125m');
   * const opt2 = await OPT.fromPretrained('facebook/opt-350m@main', { dtype: 'bfloat16', progress: false });
   * ```
   */
  static async fromPretrained(id: string, options: LoadOptOptions & HubOptions = {}): Promise<OPT> {
    const { hub, rest } = splitHubOptions<LoadOptOptions>(options);
    return OPT.load(await localOrHub(id, 'OPT', hub), rest);
  }

  /** An OPT with random weights (benchmarks, tests): the shape of `config`, seeded. */
  static async create(config: OptConfig, options: { tokenizer?: Tokenizer; device?: Device; dtype?: InferenceDType; seed?: number }): Promise<OPT> {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) invalid('OptConfig object', 'config', config);
    const o = expectOptions(options);
    if (o.tokenizer !== undefined && !(o.tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', o.tokenizer);
    const dtype = expectOneOf(o.dtype ?? 'float32', 'dtype', inferenceDTypes);
    const seed = expectInteger(o.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER);
    const device = o.device ?? 'cpu';
    checkInt8Device(dtype, callSync(() => addon().resolveDevice(device)));
    const tokenizerSize = o.tokenizer?.vocabSize ?? config.vocabSize;
    await preloadAddon();
    const native = await callAsync(() => addon().NativeOPT.create({ ...config, tokenizerSize }, device, nativeDType(dtype), seed));
    if (dtype === 'int8') {
      await callAsync(() => native.quantize()).catch((error: unknown) => {
        native.dispose();
        throw error;
      });
    }
    return new OPT(native, config, o.tokenizer, callSync(() => addon().resolveDevice(device)), dtype, 'OPT.create()');
  }

  /** True when `dir` looks like a Hugging Face OPT folder. */
  static isOptFolder(dir: string): boolean {
    return existsSync(join(dir, 'config.json')) && ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'].some((f) => existsSync(join(dir, f)));
  }

  get #live(): NativeOPT {
    if (!this.#native) throw new DisposedError('This OPT model has been disposed');
    return this.#native;
  }

  /** Before each step of a generation: a model disposed meanwhile ends it. */
  #stillLive(): void {
    if (!this.#native) throw new DisposedError('This OPT model was disposed during generation');
  }

  get parameterCount(): number {
    return this.#live.parameterCount;
  }

  /**
   * Full-sequence logits (float32) for left-padded rows: `logits` is row-major [B, T, V], V =
   * config.vocabSize. The model's raw logits for every id, as Hugging Face returns them (ids the
   * tokenizer lacks are masked only when sampling).
   */
  async forward(input: ForwardInput): Promise<{ logits: Float32Array; dims: [number, number, number] }> {
    const { ids, mask, shape } = leftPad(input, this.config.padId, this.config.vocabSize);
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
   * prompt stops at eos, `maxNewTokens` or a `stop` string. Aborting `options.signal` stops within one
   * step and rejects with the signal's reason (see OptGenerateOptions.signal).
   * With stop strings, text that could still begin one is held back until the next token settles
   * it (it comes with an eos event when the row ends there); the repetition controls are
   * described in docs/generation.md.
   * @example
   * ```ts
   * for await (const e of opt.stream('Once upon a time', { maxNewTokens: 40, noRepeatNgramSize: 3, stop: '\n' })) process.stdout.write(e.text);
   * ```
   */
  async *stream(prompts: string | readonly string[], options: OptGenerateOptions = {}): AsyncGenerator<TokenEvent> {
    const list = promptList(prompts);
    options = expectOptions(options);
    const signal = checkSignal(options.signal);
    signal?.throwIfAborted();
    const tokenizer = this.tokenizer;
    const maxNewTokens = expectInteger(options.maxNewTokens ?? 32, 'maxNewTokens', 1);
    const nativeOptions = {
      maxNewTokens,
      ...nativeSampling(options),
      ...nativeControls(options, { minTokens: expectInteger(options.minNewTokens ?? 0, 'minNewTokens', 0, 1 << 20) }),
    };
    const stops = stopStrings(options.stop);
    const stopTexts = list.map(() => new StopText(stops));
    const encoded = await tokenizer.encodeBatch(list);
    const { ids, mask, shape } = leftPad({ inputIds: encoded }, this.config.padId, this.config.vocabSize);
    const native = this.#live;
    const session = callSync(() => native.generate(ids, shape, mask, nativeOptions));
    const generated: number[][] = list.map(() => []);
    const shown = list.map(() => '');
    const finished = list.map(() => false);
    try {
      for (;;) {
        signal?.throwIfAborted();
        this.#stillLive();
        const step = await callAsync(() => session.next());
        signal?.throwIfAborted(); // nothing produced after the abort is handed out
        for (let row = 0; row < list.length; row++) {
          if (finished[row]) continue;
          const token = step.tokens[row]!;
          if (token === this.config.eosId) {
            finished[row] = true;
            // Text held back at a possible stop string comes with the eos token.
            const rest = stops.length > 0 ? stopTexts[row]!.flush() : '';
            if (rest) {
              const event: TokenEvent = { row, token, text: rest, index: generated[row]!.length };
              options.onToken?.(event);
              yield event;
            }
            continue;
          }
          generated[row]!.push(token);
          // Decode the whole completion and emit what is new; hold back a trailing partial character.
          const text = await tokenizer.decode(generated[row]!);
          const stable = text.endsWith('\ufffd') ? text.slice(0, text.lastIndexOf('\ufffd')) : text;
          let delta = stable.startsWith(shown[row]!) ? stable.slice(shown[row]!.length) : '';
          if (delta) shown[row] = stable;
          if (stops.length > 0) {
            // Cut at the first stop string; hold back what could still become one.
            const pushed = stopTexts[row]!.push(delta);
            delta = pushed.emit + (step.done && !pushed.stopped ? stopTexts[row]!.flush() : '');
            if (pushed.stopped) finished[row] = true;
          }
          const event: TokenEvent = { row, token, text: delta, index: generated[row]!.length };
          signal?.throwIfAborted(); // an abort from the previous event's consumer: nothing more is handed out
          options.onToken?.(event);
          yield event;
        }
        if (step.done || finished.every(Boolean)) return;
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
    const { ids, mask, shape } = leftPad(input, this.config.padId, this.config.vocabSize);
    options = expectOptions(options);
    const native = this.#live;
    const session = callSync(() => native.generate(ids, shape, mask, {
      maxNewTokens: expectInteger(options.maxNewTokens ?? 32, 'maxNewTokens', 1),
      ...nativeSampling(options), returnLogits: options.withLogits ?? false, ignoreEos: options.ignoreEos ?? false,
      ...nativeControls(options, { minTokens: expectInteger(options.minNewTokens ?? 0, 'minNewTokens', 0, 1 << 20) }),
    }));
    const tokens: Int32Array[] = [];
    const logits: Float32Array[] = [];
    try {
      for (;;) {
        this.#stillLive();
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
   * Completions (the generated text only) for each prompt. An aborted `options.signal` rejects
   * with the signal's reason (an 'AbortError' DOMException by default) within one step.
   * @example
   * ```ts
   * const [a, b] = await opt.generate(['Hello', 'The capital of France is'], { maxNewTokens: 10, onToken: (t) => {} });
   * ```
   */
  async generate(prompts: string | readonly string[], options: OptGenerateOptions = {}): Promise<string[]> {
    const list = promptList(prompts);
    if (options?.stop !== undefined) {
      // Stop strings: the streamed text is already cut (and nothing is held back at the end).
      const texts = list.map(() => '');
      for await (const e of this.stream(list, options)) texts[e.row] += e.text;
      return texts;
    }
    const ids: number[][] = list.map(() => []);
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
    options = expectOptions(options);
    const batchSize = expectInteger(options.batchSize ?? 8, 'batchSize', 1);
    const paragraphs = data instanceof ParagraphDataset;
    if (!paragraphs && !Array.isArray(data)) invalid('ParagraphDataset or array of texts', 'data', data);
    const rows: { ids: Int32Array; firstEnd: number }[] = paragraphs
      ? Array.from({ length: data.size }, (_, p) => paragraphRow(data.get(p), this.config.bosId, this.config.eosId))
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

  withEma<T>(fn: () => Promise<T>): Promise<T> {
    return this.#training.withEma(fn);
  }

  loadNamedTensors(tensors: Map<string, Tensor>): Promise<void> {
    return this.#training.loadNamedTensors(tensors);
  }

  /** Writes a Hugging Face OPT folder (config.json, model.safetensors with model.decoder.* names, tokenizer files). */
  async save(dir: string): Promise<void> {
    expectString(dir, 'dir');
    await makeOutputDir(dir);
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
    await this.#tokenizer?.copyFilesTo(dir);
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
