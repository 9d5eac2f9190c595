import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeOutputDir, readTextFileSync } from '../files.js';

import { DisposedError } from '../errors/DisposedError.js';
import { FormatError } from '../errors/FormatError.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { readModelConfig } from '../io/json.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { callAsync, callSync } from '../native/call.js';
import type { NativeSLLM, NativeSllmConfig, NativeSllmLoss, NativeSllmSlots, NativeTensor } from '../native/contract.js';
import { addon } from '../native/loader.js';
import { ParagraphDataset } from '../data/ParagraphDataset.js';
import type { Device } from '../tensor/Tensor.js';
import { Tensor } from '../tensor/Tensor.js';
import { padParagraphs, padSentences, type ParagraphBatch } from '../text/batch.js';
import { tokenizeText } from '../text/pieces.js';
import { type BuiltinTokenizer, Tokenizer } from '../text/Tokenizer.js';
import type { DistributedContext } from '../distributed/DistributedContext.js';
import { NativeTraining } from '../train/nativeTraining.js';
import type { AppliedStep, MicroStep, TrainableModel, TrainingSetup, TrainingSnapshot } from '../train/TrainableModel.js';
import { expectFlag, firstStop, type GenerationControlOptions, nativeControls, nativeSampling, type SamplingOptions, stopStrings } from './sampling.js';
import { expectInteger, expectNumber, expectOneOf, expectOptions, expectString, invalid } from '../validate.js';
import { type OptConfig, readOptConfig } from './optConfig.js';
import { readOptWeights } from './optWeights.js';
import { DTypeError } from '../errors/DTypeError.js';
import { checkInt8Device, holdsInt8, type InferenceDType, inferenceDTypes, type LoadDType, loadDTypes, nativeDType, resolveLoadDType, savedAsInt8 } from './inferenceDType.js';
import { checkVectors } from './vectors.js';
import { checkConfig, type PresetName, presetNames, presets, recipeShape, roundUp, type SentenceVAEConfig } from './svaeConfig.js';
import { endsMidSentence } from './partialSentence.js';
import { checkSignal } from './abort.js';
import type { RecipeName } from '../train/recipe.js';
import { type HubOptions, splitHubOptions } from '../io/hub/options.js';
import { localOrHub } from '../io/hub/resolve.js';
import { disposeAll } from '../tensor/disposeAll.js';
import { preloadAddon } from '../native/preload.js';
import { baseModelOf, type CardFacts, readCardFacts, writeModelCard } from './modelCard.js';
import type { TrainingFacts } from '../train/trainingFacts.js';
import { readJsonFile } from '../io/json.js';

/** An SLLM's shape (saved as config.json): the SentenceVAE and the OPT stack it is grafted onto. */
export interface SllmConfig {
  svae: SentenceVAEConfig;
  /** OPT's shape (its token embedding, project_in/out and lm_head are not part of an SLLM). */
  llm: OptConfig;
}

/** Which parts train (frozen parts keep their weights; the stop head always trains). */
export interface SllmFreeze {
  /** Freeze the SentenceVAE encoder and decoder. @default false */
  freezeSvae?: boolean;
  /** Freeze the OPT layers and positions. @default false */
  freezeLlm?: boolean;
}

export interface CreateSllmOptions extends SllmFreeze {
  /** The SentenceVAE's shape: a preset name, or a preset's shape with overrides. @default 'tiny' */
  svae?: PresetName | (Partial<SentenceVAEConfig> & { preset?: PresetName });
  /**
   * The OPT stack's shape. @default hidden = the SentenceVAE's, 2 layers, its heads, ffn = 4 × hidden,
   * 128 positions (sentences), pre-LN.
   */
  llm?: Partial<OptConfig>;
  /** @default the SentenceVAE preset's built-in tokenizer */
  tokenizer?: Tokenizer | BuiltinTokenizer | string;
  /** @default 'cpu' */
  device?: Device;
  /** 'int8': weight-only int8 for inference on the CPU. @default 'float32' */
  dtype?: InferenceDType;
  /** Seed of the weight initialization. @default 0 */
  seed?: number;
  /** A training recipe's SentenceVAE shape ('paper': post-LN blocks; see recipeShape). @default 'default' */
  recipe?: RecipeName;
}

export interface LoadSllmOptions extends SllmFreeze {
  /** @default 'cpu' */
  device?: Device;
  /**
   * The precision the model runs in. 'auto' is the checkpoint's own: 'int8' for a folder saved
   * from an int8 model (its only way to load: CPU, inference), 'float32' for a float one
   * (trainable). 'auto' never quantizes: for fast CPU inference, quantize once
   * (`sentencevae quantize <in> <out>`, or load with 'int8' and save) and every later default load
   * is int8. An int8 folder with a dtype other than 'auto' / 'int8', or on a non-CPU device, is a
   * DTypeError. `sllm.dtype` reports the resolved value, never 'auto'.
   * @default 'auto'
   * @example
   * ```ts
   * const sllm = await SLLM.load('./my-sllm');                       // float32: trainable
   * const int8 = await SLLM.load('./my-sllm', { dtype: 'int8' });    // quantized at load
   * await int8.save('./my-sllm-int8');
   * const fast = await SLLM.load('./my-sllm-int8');                  // int8 by default
   * ```
   */
  dtype?: LoadDType;
}

export interface FromOptOptions extends SllmFreeze {
  /**
   * A trained SentenceVAE folder to start from (its hidden size must equal OPT's), or shape
   * overrides of a fresh one (e.g. `{ layers: 2 }`; default: 1 block, OPT's hidden and heads).
   */
  svae?: string | Partial<SentenceVAEConfig>;
  /** @default 'cpu' */
  device?: Device;
  /** 'int8': weight-only int8 for inference on the CPU. @default 'float32' */
  dtype?: InferenceDType;
  /** Seed of the parts initialized fresh (SentenceVAE when not given, stop head). @default 0 */
  seed?: number;
  /** A training recipe's shape for a fresh SentenceVAE ('paper': post-LN blocks). @default 'default' */
  recipe?: RecipeName;
}

/** Generation limits and hooks; sampling (SamplingOptions) applies to the sentence decoder — the stop head is always argmax. */
export interface SllmGenerateOptions extends SamplingOptions, GenerationControlOptions {
  /** Most sentences generated per prompt. @default 16 */
  maxSentences?: number;
  /**
   * The sentence decoder cannot end a sentence (eos) before it has this many tokens (Hugging
   * Face's min_new_tokens, per sentence; a forced prompt prefix counts). @default 0
   */
  minSentenceTokens?: number;
  /**
   * Never emit a sentence identical (token for token) to one already in the context (the
   * prompt's sentences and the generated ones): where the sentence so far equals one, the
   * decoder may not end it there and takes the next-best token (greedy) or samples from the
   * others. A sentence cut by maxSentenceTokens is not checked. @default false
   */
  noRepeatSentences?: boolean;
  /** Most tokens generated per prompt; the sentence that reaches it is cut there. @default Infinity */
  maxTokens?: number;
  /** Most tokens per generated sentence (eos included). @default svae.maxTokens - 1 */
  maxSentenceTokens?: number;
  /**
   * Cancels the generation: the current sentence step finishes (at most one sentence per
   * prompt), no event is yielded after the abort, and the iteration (or generateText()'s
   * Promise) rejects with `signal.reason` — a DOMException named 'AbortError' for
   * `controller.abort()`, or the reason given to `controller.abort(reason)` — as Node's own APIs
   * and fetch do. A signal already aborted rejects before any work.
   * @example
   * ```ts
   * const controller = new AbortController();
   * try {
   *   for await (const s of sllm.generate('It was late.', { signal: controller.signal })) {
   *     if (s.index === 2) controller.abort();
   *   }
   * } catch (error) {
   *   if ((error as Error).name !== 'AbortError') throw error;
   * }
   * ```
   */
  signal?: AbortSignal;
  /** Called for every generated sentence of every prompt. */
  onSentence?: (event: SentenceEvent) => void;
  /** Never stop on the stop head (benchmarks: equal lengths). @default false */
  ignoreStop?: boolean;
  /** Attach `hidden` and `vector` (float32) to each event, for analysis and tests. @default false */
  withVectors?: boolean;
  /** Benchmarks: sentence k has exactly sentenceTokens[k % n] tokens (eos ignored). */
  sentenceTokens?: readonly number[];
  /** Per native step: its compute time on the native thread and the KV caches' allocated bytes. */
  onStats?: (stats: GenerationStats) => void;
}

/** What one native generation step cost. */
export interface GenerationStats {
  nativeMs: number;
  cacheBytes: number;
}

/** One generated sentence of one prompt. */
export interface SentenceEvent {
  /** Index of the prompt. */
  row: number;
  /** 1-based index of the sentence in this prompt's completion. */
  index: number;
  /** The sentence's text (cut before a stop string when one matched; `ids` are not cut). */
  text: string;
  /**
   * The sentence's token ids (no bos, no eos). For a sentence completing a prompt that ended
   * mid-sentence: only the continuation's ids (the prompt's part is in `prefix`).
   */
  ids: Int32Array;
  /**
   * Only on the first sentence of a row whose prompt ended mid-sentence: the prompt's unfinished
   * sentence (as decoded from its tokens), which this event's `text` continues. The whole
   * sentence is `prefix + text`; `prompt + text` is the text so far.
   */
  prefix?: string;
  /** True when maxTokens cut this sentence short. */
  truncated: boolean;
  /** With withVectors: the LLM output h this sentence was decoded from [H]. */
  hidden?: Float32Array;
  /** With withVectors: the sentence re-encoded (what the LLM reads next) [H]. */
  vector?: Float32Array;
}

/**
 * How the stop flags weigh in the SLLM's training loss: loss = weight × (weighted mean of the
 * stop flags' focal terms) + decode loss. See docs/sllm.md, "The stop head".
 * @example
 * ```ts
 * sllm.setStopLoss({ balanced: true });
 * ```
 */
export interface SllmStopLoss {
  /** Multiplier of the stop loss against the decode loss (0: the stop head does not train). @default 1 */
  weight?: number;
  /**
   * Class-balanced weighting: a flag of class c weighs n / (2 n_c) within its batch, so paragraph
   * ends (~13% of Brown's flags) count as much as continuations. It trades precision for recall.
   * @default false
   */
  balanced?: boolean;
}

/** The paper's stop loss (plain mean, weight 1); docs/sllm.md says why it stays the default. */
export const defaultStopLoss: Readonly<Required<SllmStopLoss>> = Object.freeze({ weight: 1, balanced: false });

export interface SllmEvaluation {
  /** ln(ppl): what the Trainer minimizes across evaluations. */
  loss: number;
  /**
   * exp(NLL / N) of sentences 2..S and the paragraph's end given sentence 1: NLL of their
   * content tokens + each sentence's eos + every stop flag, N = their content tokens + 1 per
   * paragraph. OPT.evaluate(ParagraphDataset) reports the same quantity over the same tokens.
   */
  ppl: number;
  /** exp(mean NLL) over the content tokens of sentences 2..S only. */
  contentPpl: number;
  /** Teacher-forced next-token accuracy of the decode targets (content + eos). */
  tokenAccuracy: number;
  /** Stop-flag accuracy over every sentence. */
  stopAccuracy: number;
  /**
   * The accuracy of always answering the majority class ("continue" on Brown): what stopAccuracy
   * must beat for the stop head to have learnt anything.
   */
  stopBaseRate: number;
  /** Of the sentences the head said "stop" after, the fraction that did end their paragraph (NaN when it never said stop). */
  stopPrecision: number;
  /** Of the paragraph ends, the fraction the head said "stop" at. */
  stopRecall: number;
  /** Stop-head decisions against the labels (positive = "stop"). */
  stopConfusion: { tp: number; fp: number; fn: number; tn: number };
  /** Not measured for an SLLM (NaN); kept for the Trainer's metrics shape. */
  exactMatch: number;
  paragraphs: number;
  /** N above. */
  tokens: number;
  /** Summed NLL (nats) of the content tokens, the eos tokens and the stop flags. */
  nll: { content: number; eos: number; stop: number };
  /** Content tokens of sentences 2..S. */
  contentTokens: number;
}

function checkLlmConfig(value: unknown, where: string): OptConfig {
  if (value === null || typeof value !== 'object') invalid('object', where, value);
  const c = value as Record<string, unknown>;
  const int = (k: string, min = 1) => expectInteger(c[k], `${where}.${k}`, min);
  return {
    vocabSize: int('vocabSize'), hidden: int('hidden'), ffn: int('ffn'), layers: int('layers'), heads: int('heads'),
    maxPositions: int('maxPositions'), wordEmbedProjDim: int('wordEmbedProjDim'),
    preNorm: c.preNorm !== false, finalNorm: c.finalNorm !== false && c.preNorm !== false,
    padId: int('padId', 0), bosId: int('bosId', 0), eosId: int('eosId', 0),
    // Training-mode dropout (absent in configs written before it existed: 0).
    dropout: expectNumber(c.dropout ?? 0, `${where}.dropout`, 0, 0.999),
    attentionDropout: expectNumber(c.attentionDropout ?? 0, `${where}.attentionDropout`, 0, 0.999),
    activationDropout: expectNumber(c.activationDropout ?? 0, `${where}.activationDropout`, 0, 0.999),
  };
}

/** OPT checkpoint names (decoder.*) -> SLLM names (llm.*); the token side is dropped. */
/** Options of `save()`. */
export interface SaveOptions {
  /** The training run behind these weights, for the model card (the Trainer passes it). @default none (the card says "not recorded", or keeps what config.json recorded) */
  training?: TrainingFacts;
  /**
   * Write README.md (the Hub model card). A README.md without the generated-card marker is never overwritten.
   * @default true
   * @example
   * ```ts
   * await model.save('./out', { modelCard: false });
   * ```
   */
  modelCard?: boolean;
}

const droppedOptWeights = ['decoder.embed_tokens.weight', 'decoder.project_in.weight', 'decoder.project_out.weight'];

/**
 * A sentence-level language model (the paper's SLLM): an OPT decoder stack that reads and
 * writes whole sentences through a SentenceVAE. Generation runs natively one sentence per step
 * (stop head → sentence decoder with a KV cache → re-encode → one LLM step over a
 * sentence-level KV cache); this class orchestrates prompts, batching, limits and streaming.
 *
 * @example
 * ```ts
 * await using sllm = await SLLM.fromOpt('./opt-125m', { svae: { layers: 1 } });
 * for await (const s of sllm.generate('The jury said it was fine. It', { maxSentences: 3 })) console.log(s.text);
 * await sllm.save('./my-sllm');
 * ```
 */
export class SLLM implements AsyncDisposable, TrainableModel<ParagraphBatch, ParagraphDataset | readonly string[]> {
  readonly config: Readonly<SllmConfig>;
  readonly tokenizer: Tokenizer;
  readonly device: string;
  /** 'int8': weight-only int8, inference on the CPU only (quantized after the weights load). */
  readonly dtype: InferenceDType;
  /** Which parts train (applied whenever training is configured). */
  readonly freeze: Readonly<Required<SllmFreeze>>;
  /** For recipes whose settings depend on the model (TrainableModel.kind). */
  readonly kind = 'sllm' as const;
  #native: NativeSLLM | undefined;
  #stopLoss: Readonly<Required<SllmStopLoss>> = defaultStopLoss;
  readonly #training = new NativeTraining(() => this.#live);
  /** What the model card says beyond the config (base model, training run); kept in config.json. */
  #card: CardFacts = {};

  private constructor(native: NativeSLLM, config: SllmConfig, tokenizer: Tokenizer, device: string, dtype: InferenceDType, freeze: SllmFreeze) {
    this.#native = native;
    this.config = Object.freeze({ svae: Object.freeze({ ...config.svae }), llm: Object.freeze({ ...config.llm }) });
    this.tokenizer = tokenizer;
    this.device = device;
    this.dtype = dtype;
    this.freeze = Object.freeze({ freezeSvae: freeze.freezeSvae ?? false, freezeLlm: freeze.freezeLlm ?? false });
  }

  static async #make(config: SllmConfig, tokenizer: Tokenizer, options: { device?: Device; dtype?: InferenceDType; seed?: number } & SllmFreeze): Promise<SLLM> {
    const dtype = expectOneOf(options.dtype ?? 'float32', 'dtype', inferenceDTypes);
    const seed = expectInteger(options.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER);
    const device = options.device ?? 'cpu';
    checkInt8Device(dtype, callSync(() => addon().resolveDevice(device)));
    const nativeConfig: NativeSllmConfig = { svae: config.svae, llm: { ...config.llm, tokenizerSize: config.llm.vocabSize } };
    await preloadAddon();
    const native = await callAsync(() => addon().NativeSLLM.create(nativeConfig, device, nativeDType(dtype), seed));
    return new SLLM(native, config, tokenizer, callSync(() => addon().resolveDevice(device)), dtype, options);
  }

  /** A new SLLM with random weights (tests, small experiments): a SentenceVAE preset + an OPT shape. */
  static async create(options: CreateSllmOptions = {}): Promise<SLLM> {
    options = expectOptions(options);
    const svaeOption = typeof options.svae === 'string' ? { preset: options.svae } : (options.svae ?? {});
    const presetName = expectOneOf(svaeOption.preset ?? 'tiny', 'svae.preset', presetNames);
    const preset = presets[presetName];
    await preloadAddon(); // before the tokenizer: see OPT.load
    const tokenizer = await Tokenizer.resolve(options.tokenizer, preset.tokenizer);
    const { preset: _ignored, ...overrides } = svaeOption;
    const svae = checkConfig({
      ...preset.shape, ...recipeShape(options.recipe), vocabSize: roundUp(tokenizer.vocabSize, 8), tokenizerSize: tokenizer.vocabSize,
      padId: tokenizer.padId, bosId: tokenizer.bosId, eosId: tokenizer.eosId, ...overrides,
    });
    const llm: OptConfig = {
      vocabSize: svae.vocabSize, hidden: svae.hidden, ffn: 4 * svae.hidden, layers: 2, heads: svae.heads, maxPositions: 128,
      wordEmbedProjDim: svae.hidden, preNorm: true, finalNorm: true, padId: svae.padId, bosId: svae.bosId, eosId: svae.eosId,
      ...options.llm,
    };
    const sllm = await SLLM.#make({ svae, llm: checkLlmConfig(llm, 'llm') }, tokenizer, options);
    await sllm.#quantizeIfInt8();
    return sllm;
  }

  /** int8 models load float weights first, then quantize (disposing the model if that fails). */
  async #quantizeIfInt8(): Promise<void> {
    if (this.dtype !== 'int8') return;
    const native = this.#live;
    await callAsync(() => native.quantize()).catch((error: unknown) => {
      this.dispose();
      throw error;
    });
  }

  /**
   * Grafts a SentenceVAE onto a Hugging Face OPT folder: OPT's decoder layers, positions and
   * final LayerNorm become the sentence-level LLM; its token embedding, lm_head and (opt-350m)
   * the 512-wide project_in/project_out are dropped — sentence vectors enter the layers at
   * OPT's hidden size, so the SentenceVAE's hidden size must equal OPT's hidden_size.
   */
  static async fromOpt(optDir: string, options: FromOptOptions = {}): Promise<SLLM> {
    expectString(optDir, 'optDir');
    options = expectOptions(options);
    const opt = await readOptConfig(optDir);
    await preloadAddon(); // before the tokenizer: see OPT.load
    const tokenizer = await Tokenizer.fromPretrained(optDir);
    let svae: SentenceVAEConfig;
    let svaeDir: string | undefined;
    if (typeof options.svae === 'string') {
      svaeDir = options.svae;
      const { path, raw } = await readModelConfig(svaeDir, 'SentenceVAE');
      svae = checkConfig(raw, path);
      if (svae.tokenizerSize !== tokenizer.vocabSize) {
        throw new InvalidArgumentError(`the SentenceVAE in ${svaeDir} has a ${svae.tokenizerSize}-id tokenizer but the OPT in ${optDir} has ${tokenizer.vocabSize}: they must share one`);
      }
    } else {
      if (options.svae !== undefined && (options.svae === null || typeof options.svae !== 'object')) invalid('a SentenceVAE folder or config overrides', 'svae', options.svae);
      svae = checkConfig({
        hidden: opt.hidden, heads: opt.heads, layers: 1, ffn: 2 * opt.hidden, maxTokens: 64, dropout: 0.1, norm: 'pre', activation: 'relu', ...recipeShape(options.recipe),
        vocabSize: roundUp(tokenizer.vocabSize, 8), tokenizerSize: tokenizer.vocabSize, padId: tokenizer.padId, bosId: tokenizer.bosId, eosId: tokenizer.eosId,
        ...(options.svae ?? {}),
      });
    }
    if (svae.hidden !== opt.hidden) {
      throw new InvalidArgumentError(`the SentenceVAE's hidden size (${svae.hidden}) must equal OPT's hidden_size (${opt.hidden}): sentence vectors enter OPT's layers directly`);
    }
    const sllm = await SLLM.#make({ svae, llm: opt }, tokenizer, options);
    const baseModel = baseModelOf(optDir, await readJsonFile(join(optDir, 'config.json')).catch(() => undefined));
    if (baseModel) sllm.#card = { baseModel };
    try {
      const weights = await readOptWeights(optDir, { skip: droppedOptWeights });
      const renamed = new Map<string, Tensor>();
      const dropped: Tensor[] = [];
      for (const [name, t] of weights.tensors) {
        if (droppedOptWeights.includes(name)) dropped.push(t);
        else renamed.set(name.replace(/^decoder\./, 'llm.'), t);
      }
      await disposeAll(dropped); // the token embedding alone is 154 MB for opt-125m
      try {
        await sllm.#loadPart(renamed, ['llm.'], weights.files.join(', '));
      } finally {
        await disposeAll(renamed.values());
      }
      if (svaeDir) {
        const file = join(svaeDir, 'model.safetensors');
        const svaeWeights = await loadSafetensors(file);
        try {
          await sllm.#loadPart(svaeWeights, ['encoder.', 'decoder.'], file);
        } finally {
          await disposeAll(svaeWeights.values());
        }
      }
    } catch (error) {
      sllm.dispose();
      throw error;
    }
    await sllm.#quantizeIfInt8();
    return sllm;
  }

  /**
   * Loads the weights of one part (every parameter under `prefixes` must be in `tensors`: a
   * checkpoint that lacks a layer is an error, not a silently random layer); the rest keep theirs.
   */
  async #loadPart(tensors: Map<string, Tensor>, prefixes: readonly string[], source: string): Promise<void> {
    const missing: string[] = [];
    for (const [name, t] of this.namedTensors()) {
      if (prefixes.some((p) => name.startsWith(p)) && !tensors.has(name)) missing.push(name);
      t.dispose();
    }
    if (missing.length > 0) {
      const shown = missing.slice(0, 6).join(', ') + (missing.length > 6 ? `, ... (${missing.length} in all)` : '');
      throw new FormatError(`${source}: weights do not match the config: missing ${shown}`, { path: source });
    }
    await this.#training.loadNamedTensors(tensors, { partial: true }).catch((error: Error) => {
      throw new FormatError(`${source}: ${error.message}`, { path: source });
    });
  }

  /**
   * Loads an SLLM saved with `save()` and pushed to the Hugging Face Hub (`'ORG/NAME'` or
   * `'ORG/NAME@revision'`), through the standard Hugging Face cache, or from a local folder when
   * `id` is one. See docs/hub.md.
   * @example
   * ```ts
   * const sllm = await SLLM.fromPretrained('my-org/sllm-opt-125m', { device: 'auto' });
   * ```
   */
  static async fromPretrained(id: string, options: LoadSllmOptions & HubOptions = {}): Promise<SLLM> {
    const { hub, rest } = splitHubOptions<LoadSllmOptions>(options);
    return SLLM.load(await localOrHub(id, 'SLLM', hub), rest);
  }

  /**
   * Loads a folder written by `save()`, in the checkpoint's precision unless `dtype` says
   * otherwise (LoadSllmOptions.dtype).
   * @example
   * ```ts
   * const sllm = await SLLM.load('./my-sllm', { device: 'auto' });
   * ```
   */
  static async load(dir: string, options: LoadSllmOptions = {}): Promise<SLLM> {
    expectString(dir, 'dir');
    options = expectOptions(options);
    const requested = expectOneOf(options.dtype ?? 'auto', 'dtype', loadDTypes);
    const { path, raw } = await readModelConfig(dir, 'SLLM');
    let config: SllmConfig;
    try {
      config = { svae: checkConfig(raw.svae, `${path} svae`), llm: checkLlmConfig(raw.llm, `${path} llm`) };
    } catch (error) {
      throw error instanceof FormatError ? error : new FormatError(`${path}: ${(error as Error).message}`, { path });
    }
    await preloadAddon(); // before the tokenizer: see OPT.load
    const tokenizer = await Tokenizer.fromPretrained(dir);
    if (tokenizer.vocabSize !== config.svae.tokenizerSize) {
      throw new FormatError(`${dir}: the tokenizer has ${tokenizer.vocabSize} ids but config.json says tokenizerSize ${config.svae.tokenizerSize}`, { path: dir });
    }
    const file = join(dir, 'model.safetensors');
    // From the header alone, before the model is built: an int8 folder loads only as int8, on the CPU.
    const int8Weights = await savedAsInt8(dir);
    const dtype = resolveLoadDType(requested, int8Weights, callSync(() => addon().resolveDevice(options.device ?? 'cpu')), file);
    const sllm = await SLLM.#make(config, tokenizer, { ...options, dtype });
    sllm.#card = readCardFacts(raw);
    try {
      const weights = await loadSafetensors(file);
      try {
        // A folder saved from an int8 model holds int8 weights and their scales: quantize first.
        if (holdsInt8(weights.keys())) await callAsync(() => sllm.#live.quantize());
        await sllm.#training.loadNamedTensors(weights).catch((error: Error) => {
          throw new FormatError(`${file}: ${error.message}`, { path: file });
        });
      } finally {
        await disposeAll(weights.values());
      }
    } catch (error) {
      sllm.dispose();
      throw error;
    }
    await sllm.#quantizeIfInt8();
    return sllm;
  }

  /** True when `dir` holds a saved SLLM. */
  static isSllmFolder(dir: string): boolean {
    try {
      return existsSync(join(dir, 'model.safetensors')) && (JSON.parse(readTextFileSync(join(dir, 'config.json'))) as { architecture?: unknown }).architecture === 'SLLM';
    } catch {
      return false;
    }
  }

  get #live(): NativeSLLM {
    if (!this.#native) throw new DisposedError('This SLLM has been disposed');
    return this.#native;
  }

  get parameterCount(): number {
    return this.#live.parameterCount;
  }

  /** Sentence pieces (bos first, ≤ svae.maxTokens) of each text, in order. */
  async pieces(text: string): Promise<Int32Array[]> {
    if (typeof text !== 'string') invalid('string', 'text', text);
    return (await tokenizeText(this.tokenizer, text, { maxTokens: this.config.svae.maxTokens })).map((p) => p.ids);
  }

  /**
   * One vector per sentence (texts, or ids with bos first): a Float32Array of n × svae.hidden,
   * row-major — the same kind of value as SentenceVAE.encode(), whatever the model's dtype and
   * device. encodeToTensor() keeps the vectors on the model's device instead.
   * @example
   * ```ts
   * const v = await sllm.encode(['It was warm,', ' and the sun was out.']); // v.length === 2 * sllm.config.svae.hidden
   * ```
   */
  async encode(sentences: readonly string[] | readonly Int32Array[]): Promise<Float32Array> {
    const tensor = await this.encodeToTensor(sentences);
    try {
      if (tensor.dtype === 'float32' && tensor.device === 'cpu') return (await tensor.toArray()) as Float32Array;
      const f32 = await tensor.to('cpu', 'float32');
      try {
        return (await f32.toArray()) as Float32Array;
      } finally {
        f32.dispose();
      }
    } finally {
      tensor.dispose();
    }
  }

  /**
   * Sentence vectors [n, H] (texts, or ids with bos first) on the model's device, in its dtype.
   * The caller disposes the Tensor.
   * @example
   * ```ts
   * const v = await sllm.encodeToTensor(['It was late.']);
   * try { console.log(v.shape); } finally { v.dispose(); }  // [1, hidden]
   * ```
   */
  async encodeToTensor(sentences: readonly string[] | readonly Int32Array[]): Promise<Tensor> {
    if (!Array.isArray(sentences) || sentences.length === 0) invalid('a non-empty array of sentences', 'sentences', sentences);
    const ids = typeof sentences[0] === 'string' ? await this.tokenizer.encodeBatch(sentences as string[]) : (sentences as Int32Array[]);
    const b = padSentences(ids, { padId: this.config.svae.padId });
    const native = this.#live;
    return new Tensor(await callAsync(() => native.encode(b.ids, [b.batchSize, b.length], b.lengths)));
  }

  /** The LLM's outputs h [B, S, H] for paragraphs given as sentence pieces (full forward, no cache). */
  async hidden(paragraphs: readonly (readonly Int32Array[])[]): Promise<Tensor> {
    const b = padParagraphs(paragraphs, { padId: this.config.svae.padId });
    const native = this.#live;
    return new Tensor(await callAsync(() => native.hidden(b.ids, [b.batchSize, b.sentences, b.length], b.lengths)));
  }

  /** Teacher-forced decoder logits [n, L, V] of sentences (ids, bos first) given memory vectors [n, H]. */
  async decoderLogits(sentences: readonly Int32Array[], memory: Tensor): Promise<Tensor> {
    if (!Array.isArray(sentences) || sentences.length === 0) invalid('a non-empty array of sentences', 'sentences', sentences);
    if (!(memory instanceof Tensor)) invalid('Tensor', 'memory', memory);
    checkVectors(memory, sentences.length, this.config.svae.hidden, 'memory');
    const b = padSentences(sentences, { padId: this.config.svae.padId });
    const native = this.#live;
    const m = memory.native;
    return new Tensor(await callAsync(() => native.logits(b.ids, [b.batchSize, b.length], b.lengths, m)));
  }

  /**
   * Generates sentence by sentence after each prompt (prompts batched together; each row stops
   * on its stop head, maxSentences or maxTokens). Yields sentences as they come.
   *
   * A prompt that ends mid-sentence (its last segment does not end at a cut mark or a line
   * break, see endsMidSentence) is completed, not treated as a whole sentence: its complete
   * sentences are the context, and the unfinished one's tokens are forced as the start of the
   * first generated sentence (the stop head is not consulted before it). That first event's
   * `text` and `ids` hold only the continuation — `prompt + text` reads on — and its `prefix`
   * the unfinished part; maxTokens counts continuation tokens only. A prompt that is one
   * unfinished sentence and nothing else (no context to predict from), or whose unfinished part
   * leaves no room under maxSentenceTokens, is taken as a whole sentence, as before.
   *
   * Aborting `options.signal` stops within one sentence step and rejects with the signal's
   * reason (see SllmGenerateOptions.signal).
   * @example
   * ```ts
   * const [rest] = await sllm.generateText('The jury said it was fine. It', { maxSentences: 2 });
   * // rest continues " It": e.g. " was a good day." ...
   * ```
   * @example
   * ```ts
   * for await (const s of sllm.generate(['It was late.', 'The jury met.'], { maxSentences: 4 })) {
   *   console.log(s.row, s.text);
   * }
   * ```
   */
  async *generate(prompts: string | readonly string[], options: SllmGenerateOptions = {}): AsyncGenerator<SentenceEvent> {
    const list = typeof prompts === 'string' ? [prompts] : prompts;
    if (!Array.isArray(list) || list.length === 0) invalid('a prompt or a non-empty array of prompts', 'prompts', prompts);
    options = expectOptions(options);
    const signal = checkSignal(options.signal);
    signal?.throwIfAborted();
    const { svae } = this.config;
    const maxSentences = expectInteger(options.maxSentences ?? 16, 'maxSentences', 1);
    const maxTokens = options.maxTokens === undefined || options.maxTokens === Infinity ? Infinity : expectInteger(options.maxTokens, 'maxTokens', 1);
    const nativeOptions: Parameters<NativeSLLM['generate']>[5] = {
      maxSentences,
      maxTokens: expectInteger(options.maxSentenceTokens ?? svae.maxTokens - 1, 'maxSentenceTokens', 1, svae.maxTokens - 1),
      ...nativeSampling(options),
      ...nativeControls(options, {
        minTokens: expectInteger(options.minSentenceTokens ?? 0, 'minSentenceTokens', 0, svae.maxTokens - 1),
        noRepeatSentences: expectFlag(options.noRepeatSentences, 'noRepeatSentences', false),
      }),
      ignoreStop: options.ignoreStop ?? false,
      returnHidden: options.withVectors ?? false,
      ...(options.sentenceTokens ? { sentenceTokens: options.sentenceTokens } : {}),
    };
    const stops = stopStrings(options.stop);
    const longestStop = stops.reduce((m, x) => Math.max(m, x.length), 0);
    const hsize = svae.hidden;
    const perPrompt: Int32Array[][] = [];
    const prefixes: (Int32Array | undefined)[] = [];
    for (const [i, p] of (list as readonly unknown[]).entries()) {
      if (typeof p !== 'string') invalid('string', `prompts[${i}]`, p);
      if (p.trim() === '') throw new InvalidArgumentError(`prompts[${i}] is empty: an SLLM continues from at least one sentence`);
      const pieces = await this.pieces(p);
      // Unfinished last sentence: context = the pieces before it, its content ids = forced prefix.
      const last = pieces[pieces.length - 1]!;
      const partial = pieces.length > 1 && last.length - 1 < nativeOptions.maxTokens! && endsMidSentence(p);
      prefixes.push(partial ? last.subarray(1) : undefined);
      perPrompt.push(partial ? pieces.slice(0, -1) : pieces);
    }
    const prefixWidth = prefixes.reduce((m, x) => Math.max(m, x?.length ?? 0), 0);
    const prefixTexts = prefixWidth > 0 ? await this.tokenizer.decodeBatch(prefixes.map((x) => x ?? new Int32Array(0))) : [];
    if (prefixWidth > 0) {
      const prefixIds = new Int32Array(list.length * prefixWidth).fill(svae.padId);
      const prefixLengths = new Int32Array(list.length);
      prefixes.forEach((x, r) => {
        if (!x) return;
        prefixIds.set(x, r * prefixWidth);
        prefixLengths[r] = x.length;
      });
      Object.assign(nativeOptions, { prefixIds, prefixWidth, prefixLengths });
    }
    // Pieces in one [N, L] batch; rows [B, S] index them, left-padded so each row's last sentence is in the last slot.
    const all = perPrompt.flat();
    const batch = padSentences(all, { padId: svae.padId });
    const slots = Math.max(...perPrompt.map((p) => p.length));
    const rows = new Int32Array(list.length * slots).fill(-1);
    let k = 0;
    perPrompt.forEach((p, r) => p.forEach((_, s) => (rows[r * slots + slots - p.length + s] = k++)));
    const native = this.#live;
    const session = callSync(() => native.generate(batch.ids, [batch.batchSize, batch.length], batch.lengths, rows, [list.length, slots], nativeOptions));
    const produced = list.map(() => ({ sentences: 0, tokens: 0, done: false, text: '' }));
    let finishRows: Uint8Array | undefined;
    try {
      for (;;) {
        signal?.throwIfAborted();
        if (!this.#native) throw new DisposedError('This SLLM was disposed during generation');
        const step = await callAsync(() => session.next(finishRows));
        signal?.throwIfAborted(); // nothing produced after the abort is handed out
        finishRows = undefined;
        options.onStats?.({ nativeMs: step.nativeMs, cacheBytes: step.cacheBytes });
        const hidden = await readFloats(step.hidden);
        const vectors = await readFloats(step.vectors);
        const ids: Int32Array[] = [];
        const who: number[] = [];
        const cut: boolean[] = [];
        for (let r = 0; r < list.length; r++) {
          const row = produced[r]!;
          if (row.done) continue;
          if (step.stopped[r] || step.steps === 0) {
            row.done = true;
            continue;
          }
          // The first sentence of a completed prompt: the forced prefix is the prompt's, not generated.
          const skip = row.sentences === 0 ? (prefixes[r]?.length ?? 0) : 0;
          let sentence = step.tokens.subarray(r * step.steps + skip, r * step.steps + Math.max(skip, step.lengths[r]!));
          let truncated = false;
          if (row.tokens + sentence.length >= maxTokens) {
            truncated = row.tokens + sentence.length > maxTokens;
            sentence = sentence.subarray(0, maxTokens - row.tokens);
            row.done = true;
            (finishRows ??= new Uint8Array(list.length))[r] = 1;
          }
          row.tokens += sentence.length;
          row.sentences++;
          if (row.sentences >= maxSentences) row.done = true;
          ids.push(sentence.slice());
          who.push(r);
          cut.push(truncated);
        }
        const texts = ids.length > 0 ? await this.tokenizer.decodeBatch(ids) : [];
        for (let i = 0; i < ids.length; i++) {
          const r = who[i]!;
          const event: SentenceEvent = { row: r, index: produced[r]!.sentences, text: texts[i]!, ids: ids[i]!, truncated: cut[i]! };
          if (stops.length > 0) {
            // A stop string ends the row; the text is cut before it (a match that began in an
            // earlier sentence leaves this one empty: the earlier text was already yielded).
            const row = produced[r]!;
            const before = row.text.length;
            row.text += event.text;
            const at = firstStop(row.text, stops, Math.max(0, before - longestStop + 1));
            if (at >= 0) {
              event.text = row.text.slice(before, Math.max(at, before));
              row.text = row.text.slice(0, Math.max(at, before));
              if (!row.done) (finishRows ??= new Uint8Array(list.length))[r] = 1;
              row.done = true;
            }
          }
          if (event.index === 1 && prefixes[r]) event.prefix = prefixTexts[r]!;
          if (hidden) event.hidden = hidden.slice(r * hsize, (r + 1) * hsize);
          if (vectors) event.vector = vectors.slice(r * hsize, (r + 1) * hsize);
          signal?.throwIfAborted(); // an abort from the previous event's consumer: nothing more is handed out
          options.onSentence?.(event);
          yield event;
        }
        if (step.done || produced.every((p) => p.done)) return;
      }
    } finally {
      session.dispose();
    }
  }

  /** The completion text of each prompt (its generated sentences joined). Rejects with the signal's reason when `options.signal` aborts. */
  async generateText(prompts: string | readonly string[], options: SllmGenerateOptions = {}): Promise<string[]> {
    const list = typeof prompts === 'string' ? [prompts] : prompts;
    if (!Array.isArray(list) || list.length === 0) invalid('a prompt or a non-empty array of prompts', 'prompts', prompts);
    const out = (list as readonly string[]).map(() => '');
    for await (const e of this.generate(list, options)) out[e.row] += e.text;
    return out;
  }

  /** Paragraphs of sentence pieces from texts or a dataset. */
  async #paragraphs(data: ParagraphDataset | readonly string[]): Promise<Int32Array[][]> {
    if (Array.isArray(data)) {
      const ds = await ParagraphDataset.fromParagraphs(data as readonly string[], this.tokenizer, { maxTokens: this.config.svae.maxTokens, minSentences: 1, maxSentences: this.config.llm.maxPositions });
      return Array.from({ length: ds.size }, (_, p) => ds.get(p));
    }
    if (!(data instanceof ParagraphDataset)) invalid('ParagraphDataset or array of paragraph texts', 'data', data);
    return Array.from({ length: data.size }, (_, p) => data.get(p));
  }

  /**
   * Held-out PPL over the same tokens as OPT.evaluate(ParagraphDataset), stop accuracy and
   * teacher-forced token accuracy (see SllmEvaluation).
   */
  async evaluate(data: ParagraphDataset | readonly string[], options: { gamma?: number; batchSize?: number } = {}): Promise<SllmEvaluation> {
    options = expectOptions(options);
    const gamma = expectNumber(options.gamma ?? 2, 'gamma', 0);
    const batchSize = expectInteger(options.batchSize ?? 8, 'batchSize', 1);
    const paragraphs = await this.#paragraphs(data);
    if (paragraphs.length === 0) invalid('at least one paragraph', 'data', data);
    const native = this.#live;
    const sum = { content: 0, eos: 0, stop: 0, contentTokens: 0, tokens: 0, correct: 0, stopCorrect: 0, stopCount: 0 };
    const confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
    for (let start = 0; start < paragraphs.length; start += batchSize) {
      const b = padParagraphs(paragraphs.slice(start, start + batchSize), { padId: this.config.svae.padId });
      const r: NativeSllmLoss = await callAsync(() => native.evaluate(b.ids, [b.batchSize, b.sentences, b.length], b.lengths, gamma));
      sum.content += r.contentNll;
      sum.eos += r.eosNll;
      sum.stop += r.stopNll;
      sum.contentTokens += r.contentTokens;
      sum.tokens += r.tokens;
      sum.correct += r.correct;
      sum.stopCorrect += r.stopCorrect;
      sum.stopCount += r.stopCount;
      confusion.tp += r.stopConfusion.tp;
      confusion.fp += r.stopConfusion.fp;
      confusion.fn += r.stopConfusion.fn;
      confusion.tn += r.stopConfusion.tn;
    }
    const ends = confusion.tp + confusion.fn;
    const flags = ends + confusion.fp + confusion.tn;
    const n = sum.contentTokens + paragraphs.length;
    const nll = sum.content + sum.eos + sum.stop;
    return {
      loss: nll / n,
      ppl: Math.exp(nll / n),
      contentPpl: Math.exp(sum.content / Math.max(1, sum.contentTokens)),
      tokenAccuracy: sum.correct / Math.max(1, sum.tokens),
      stopAccuracy: sum.stopCorrect / sum.stopCount,
      stopBaseRate: Math.max(ends, flags - ends) / Math.max(1, flags),
      stopPrecision: confusion.tp + confusion.fp > 0 ? confusion.tp / (confusion.tp + confusion.fp) : Number.NaN,
      stopRecall: ends > 0 ? confusion.tp / ends : Number.NaN,
      stopConfusion: confusion,
      exactMatch: Number.NaN,
      paragraphs: paragraphs.length,
      tokens: n,
      nll: { content: sum.content, eos: sum.eos, stop: sum.stop },
      contentTokens: sum.contentTokens,
    };
  }

  // ---------------------------------------------------------------- training (TrainableModel)

  /** Applies `freeze`, then a fresh optimizer state (and EMA of the current weights). */
  async configureTraining(setup: TrainingSetup, seed: number | null): Promise<void> {
    const native = this.#live;
    // Before setTrainable: marking int8 weights trainable fails inside LibTorch with a raw message.
    if (this.dtype === 'int8') throw new DTypeError("dtype 'int8' is for inference only: train in float32 or bfloat16 and quantize afterwards");
    callSync(() => native.setTrainable(['encoder.', 'decoder.'], !this.freeze.freezeSvae));
    callSync(() => native.setTrainable(['llm.'], !this.freeze.freezeLlm));
    await this.#training.configure(setup, seed);
  }

  /**
   * How the stop flags weigh in the training loss (see SllmStopLoss and docs/sllm.md, "The stop
   * head"); applies to every later accumulate() (the Trainer's too).
   * @example
   * ```ts
   * sllm.setStopLoss({ weight: 1, balanced: true });
   * ```
   */
  setStopLoss(options: SllmStopLoss): void {
    options = expectOptions(options);
    this.#stopLoss = Object.freeze({
      weight: expectNumber(options.weight ?? defaultStopLoss.weight, 'weight', 0, 1e6),
      balanced: expectFlag(options.balanced, 'balanced', defaultStopLoss.balanced),
    });
  }

  /** The stop-loss weighting accumulate() uses (setStopLoss changes it). */
  get stopLoss(): Readonly<Required<SllmStopLoss>> {
    return this.#stopLoss;
  }

  /** Forward + backward of paragraphs (stop loss + decode loss); gradients add up until applyStep(). */
  async accumulate(batch: ParagraphBatch, options: { gamma: number; scale: number }): Promise<MicroStep & { stopLoss: number; stopAccuracy: number }> {
    const native = this.#live;
    const stop = { stopWeight: this.#stopLoss.weight, stopBalanced: this.#stopLoss.balanced };
    const r = await callAsync(() => native.accumulate(batch.ids, [batch.batchSize, batch.sentences, batch.length], batch.lengths, { ...options, ...stop }));
    return { loss: r.loss, ce: r.ce, tokens: r.tokens, correct: r.correct, stopLoss: r.stopLoss, stopAccuracy: r.stopCorrect / r.stopCount };
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

  /** Weights by name: encoder.*, decoder.* (SentenceVAE names), llm.*, stop_head.*. */
  namedTensors(): Map<string, Tensor> {
    return this.#training.namedTensors();
  }

  loadNamedTensors(tensors: Map<string, Tensor>): Promise<void> {
    return this.#training.loadNamedTensors(tensors);
  }

  /**
   * Writes config.json, model.safetensors (atomically), the tokenizer's files and a Hub model card
   * (README.md: what it is, its base model, how it was trained when a Trainer exported it, how to
   * load it with fromPretrained) to `dir`; the folder can be pushed to the Hugging Face Hub as is.
   * A README.md you wrote yourself is kept (only a card save() generated is replaced).
   * @example
   * ```ts
   * await sllm.save('./my-sllm');            // then: huggingface-cli upload my-org/my-sllm ./my-sllm
   * ```
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    expectString(dir, 'dir');
    const o = expectOptions(options);
    if (o.training !== undefined) this.#card = { ...this.#card, training: o.training };
    await makeOutputDir(dir);
    const tensors = this.namedTensors();
    try {
      await saveSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt', architecture: 'SLLM' });
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    const card = Object.keys(this.#card).length > 0 ? { card: this.#card } : {};
    await writeFile(join(dir, 'config.json'), `${JSON.stringify({ architecture: 'SLLM', svae: this.config.svae, llm: this.config.llm, ...card }, null, 2)}\n`);
    await this.tokenizer.copyFilesTo(dir);
    if (o.modelCard !== false) {
      const { svae, llm } = this.config;
      await writeModelCard(dir, {
        kind: 'SLLM', parameters: this.parameterCount, tokenizerSize: svae.tokenizerSize,
        shape: `sentence-level LLM: hidden ${llm.hidden}, ${llm.layers} layers, ${llm.heads} heads, FFN ${llm.ffn}, up to ${llm.maxPositions} sentences; SentenceVAE: ${svae.layers} encoder/decoder block(s), up to ${svae.maxTokens} tokens per sentence`,
      }, this.#card);
    }
  }

  /**
   * A continuous-batching session over this model, for the serving Engine (lib/serve/): rows join
   * and leave between sentence steps. Most code wants `Engine.create(sllm)`, not this.
   * @internal
   */
  openSlots(slots: number): NativeSllmSlots {
    const native = this.#live;
    return callSync(() => native.openSlots({ slots }));
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

/** A native float tensor's values, then the tensor freed. */
async function readFloats(native: NativeTensor | undefined): Promise<Float32Array | undefined> {
  if (!native) return undefined;
  const t = new Tensor(native);
  try {
    return (await t.toArray()) as Float32Array;
  } finally {
    t.dispose();
  }
}
