import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Tokenizer as HfTokenizer } from 'tokenizers';

import { FormatError } from '../errors/FormatError.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { isRegularFile, readTextFile } from '../files.js';
import { packageRoot } from '../native/loader.js';
import { expectArray, expectBoolean, expectInteger, expectOptions, expectString, invalid } from '../validate.js';
import { PretokenCache } from './PretokenCache.js';
import { FolderCache } from './folderCache.js';
import { loadHfTokenizer, type LoadedHfTokenizer } from './hfTokenizerAsync.js';

/** `skipSpecialTokens` of decode options: a boolean (the tokenizers binding's own conversion error was untyped). */
const skipSpecial = (options: DecodeOptions | undefined): boolean => {
  const value = expectOptions(options).skipSpecialTokens;
  return value === undefined ? true : expectBoolean(value, 'skipSpecialTokens');
};

/** Names of the tokenizer folders shipped in assets/tokenizers/ (see its README). */
export type BuiltinTokenizer = 'gpt2-opt' | 'gpt2-opt-4k';
export const builtinTokenizers: readonly BuiltinTokenizer[] = ['gpt2-opt', 'gpt2-opt-4k'];

export interface SpecialIds {
  /** Prepended to every sequence. OPT: `</s>` = 2. */
  bos: number;
  /** Ends a sentence. OPT: `</s>` = 2. */
  eos: number;
  /** Padding. OPT: `<pad>` = 1. */
  pad: number;
  /** Unknown token. OPT vocabularies: `<unk>` = 3. */
  unk: number;
}

export interface EncodeOptions {
  /** Prepend the bos id. @default true */
  addBos?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (bos, eos, pad, unk). @default true */
  skipSpecialTokens?: boolean;
}

type TokenSpec = string | { content?: string } | null | undefined;
const tokenText = (spec: TokenSpec): string | undefined => (typeof spec === 'string' ? spec : spec?.content ?? undefined);

async function readJsonIfExists(path: string): Promise<Record<string, TokenSpec> | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readTextFile(path)) as Record<string, TokenSpec>;
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(`${path} is not valid JSON: ${(error as Error).message}`, { path });
  }
}

const builtinCache = new Map<BuiltinTokenizer, Promise<Tokenizer>>();

/** The files fromPretrained reads: a change to any of them loads the folder afresh. */
const tokenizerFiles = ['tokenizer.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json', 'tokenizer_config.json'] as const;
const loadedFolders = new FolderCache<Tokenizer>(tokenizerFiles);

/**
 * OPT's byte-level BPE tokenizer over the `tokenizers` npm package, with OPT's conventions:
 * bos = eos = `</s>`, prepended to every sequence; pad = `<pad>`; decoding an id ≥ `vocabSize` (a
 * model's logits may be wider than the vocabulary: sampling never picks those) is an error.
 *
 * @example
 * ```ts
 * const tok = await Tokenizer.fromPretrained('./opt-125m');   // or Tokenizer.builtin()
 * const ids = await tok.encode('Hello world.');                 // Int32Array [2, ...]
 * await tok.decode(ids);                                        // 'Hello world.'
 * ```
 */
export class Tokenizer {
  readonly #hf: HfTokenizer;
  readonly #cache: PretokenCache | undefined;
  /** Number of ids the tokenizer can produce (special tokens included). */
  readonly vocabSize: number;
  readonly special: SpecialIds;
  /** Where it was loaded from (a folder), or the built-in name. */
  readonly source: string;

  private constructor(hf: HfTokenizer, special: SpecialIds, source: string, json: unknown) {
    this.#hf = hf;
    const added = ((json as { added_tokens?: { content?: string }[] } | null)?.added_tokens ?? []).map((t) => t.content ?? '');
    this.#cache = PretokenCache.supports(json) ? new PretokenCache(hf, added) : undefined;
    this.special = special;
    this.source = source;
    this.vocabSize = hf.getVocabSize(true);
  }

  /**
   * Copies this tokenizer's files (tokenizer.json, vocab.json, merges.txt, tokenizer_config.json,
   * special_tokens_map.json — those that exist) into a model folder being saved.
   */
  async copyFilesTo(dir: string): Promise<void> {
    for (const file of tokenizerFiles) {
      const from = join(this.source, file);
      if (isRegularFile(from) && from !== join(dir, file)) await copyFile(from, join(dir, file));
    }
  }

  get bosId(): number { return this.special.bos; }
  get eosId(): number { return this.special.eos; }
  get padId(): number { return this.special.pad; }
  get unkId(): number { return this.special.unk; }

  /**
   * Loads a Hugging Face model folder: `tokenizer.json`, or `vocab.json` + `merges.txt`; special
   * tokens from `special_tokens_map.json` / `tokenizer_config.json` when present (OPT's defaults
   * otherwise).
   *
   * A Tokenizer is immutable, so loading a folder whose files are unchanged while an earlier
   * Tokenizer from it is still in use returns that same object (a model's load and your own call
   * share one): each copy costs 7-22 MB, and the `tokenizers` binding frees it on the main thread
   * when it is garbage-collected (6-8 ms for OPT's 50k ids). An edited file loads afresh.
   * @example
   * ```ts
   * const tok = await Tokenizer.fromPretrained('./opt-125m');
   * (await Tokenizer.fromPretrained('./opt-125m')) === tok; // true while tok is in use
   * ```
   */
  static async fromPretrained(dir: string): Promise<Tokenizer> {
    expectString(dir, 'dir');
    return loadedFolders.get(dir, () => Tokenizer.#load(dir));
  }

  static async #load(dir: string): Promise<Tokenizer> {
    const configs = [
      await readJsonIfExists(join(dir, 'special_tokens_map.json')),
      await readJsonIfExists(join(dir, 'tokenizer_config.json')),
    ];
    const pick = (key: string, fallback: string) =>
      configs.map((c) => tokenText(c?.[key])).find((v) => v !== undefined) ?? fallback;
    const names = { bos: pick('bos_token', '</s>'), eos: pick('eos_token', '</s>'), pad: pick('pad_token', '<pad>'), unk: pick('unk_token', '<unk>') };
    // OPT's own files name unk '</s>'; prefer a real '<unk>' when the vocabulary has one.
    const specialsList = [...new Set(['<s>', '<pad>', '</s>', '<unk>', ...Object.values(names)])];

    // Built off the event loop (a worker thread + tokenizers' async BPE.fromFile): see hfTokenizerAsync.ts.
    let loaded: LoadedHfTokenizer;
    const tokenizerJson = join(dir, 'tokenizer.json');
    if (existsSync(tokenizerJson)) {
      loaded = await loadHfTokenizer({ path: tokenizerJson }, (why) => new FormatError(`${tokenizerJson} could not be loaded: ${why}`, { path: tokenizerJson }));
    } else if (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'))) {
      loaded = await loadHfTokenizer(
        { vocabPath: join(dir, 'vocab.json'), mergesPath: join(dir, 'merges.txt'), specials: specialsList },
        (why) => new FormatError(`${dir}: vocab.json/merges.txt do not form a BPE tokenizer: ${why}`, { path: dir }),
      );
    } else {
      throw new FormatError(`Expected tokenizer.json, or vocab.json and merges.txt, in ${dir} but found neither`, { path: dir });
    }

    const hf = loaded.hf;
    const idOf = (role: keyof SpecialIds, token: string): number => {
      const id = hf.tokenToId(token);
      if (id === null || id === undefined) {
        throw new FormatError(`The ${role} token '${token}' is not in the vocabulary of ${dir}`, { path: dir });
      }
      return id;
    };
    const unkName = hf.tokenToId('<unk>') !== null ? '<unk>' : names.unk;
    const special = { bos: idOf('bos', names.bos), eos: idOf('eos', names.eos), pad: idOf('pad', names.pad), unk: idOf('unk', unkName) };
    return new Tokenizer(hf, special, dir, loaded.json);
  }

  /** True when `dir` has tokenizer files fromPretrained() reads (tokenizer.json, or vocab.json + merges.txt). */
  static hasFiles(dir: string): boolean {
    expectString(dir, 'dir');
    return existsSync(join(dir, 'tokenizer.json')) || (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt')));
  }

  /**
   * A tokenizer from what a model option accepts: a Tokenizer, a built-in name, or a folder;
   * `fallback` (a built-in) when undefined.
   */
  static resolve(spec: Tokenizer | BuiltinTokenizer | string | undefined, fallback: BuiltinTokenizer): Promise<Tokenizer> {
    if (spec === undefined) return Tokenizer.builtin(fallback);
    if (spec instanceof Tokenizer) return Promise.resolve(spec);
    if (typeof spec !== 'string') invalid('Tokenizer, built-in tokenizer name or folder', 'tokenizer', spec);
    return (builtinTokenizers as readonly string[]).includes(spec) ? Tokenizer.builtin(spec as BuiltinTokenizer) : Tokenizer.fromPretrained(spec);
  }

  /** One of the tokenizers shipped with the package (loaded once per process). */
  static builtin(name: BuiltinTokenizer = 'gpt2-opt'): Promise<Tokenizer> {
    if (!builtinTokenizers.includes(name)) invalid(`one of ${builtinTokenizers.map((n) => `'${n}'`).join(', ')}`, 'name', name);
    let cached = builtinCache.get(name);
    if (!cached) {
      cached = Tokenizer.fromPretrained(Tokenizer.builtinPath(name));
      builtinCache.set(name, cached);
    }
    return cached;
  }

  /** The folder of a built-in tokenizer (to copy next to a saved model). */
  static builtinPath(name: BuiltinTokenizer): string {
    return join(packageRoot, 'assets', 'tokenizers', name);
  }

  /** Token ids of `text`, with bos first unless `addBos: false`. */
  async encode(text: string, options: EncodeOptions = {}): Promise<Int32Array> {
    expectString(text, 'text');
    const addBos = expectOptions(options).addBos ?? true;
    const [ids] = await this.#contentIds([text]);
    return this.#withBos(ids!, addBos);
  }

  /** Token ids of each text (one call into the tokenizer: much faster than encode() in a loop). */
  async encodeBatch(texts: readonly string[], options: EncodeOptions = {}): Promise<Int32Array[]> {
    // A for loop, not forEach: forEach skips holes, and ['a', , 'b'] must not give 2 results for 3 inputs.
    expectArray(texts, 'texts', 'array of strings', expectString);
    const addBos = expectOptions(options).addBos ?? true;
    if (texts.length === 0) return [];
    const contents = await this.#contentIds(texts);
    return addBos ? contents.map((ids) => this.#withBos(ids, true)) : contents;
  }

  /** Encoding straight through the `tokenizers` binding, without the pre-token cache (a reference for tests). */
  async encodeUncached(texts: readonly string[]): Promise<Int32Array[]> {
    expectArray(texts, 'texts', 'array of strings', expectString);
    if (texts.length === 0) return [];
    const encodings = await this.#hf.encodeBatch(texts as string[], { addSpecialTokens: false });
    return encodings.map((e) => Int32Array.from(e.getIds()));
  }

  #contentIds(texts: readonly string[]): Promise<Int32Array[]> {
    return this.#cache ? this.#cache.encodeBatch(texts) : this.encodeUncached(texts);
  }

  /**
   * Text of `ids`; special tokens are dropped unless asked. An id outside [0, vocabSize) is an
   * error (dropping it silently would hide a model or caller bug).
   */
  async decode(ids: ArrayLike<number>, options: DecodeOptions = {}): Promise<string> {
    const skip = skipSpecial(options);
    return this.#hf.decode(this.#decodable(ids, 'ids'), skip);
  }

  async decodeBatch(batch: readonly ArrayLike<number>[], options: DecodeOptions = {}): Promise<string[]> {
    if (!Array.isArray(batch)) invalid('array of id arrays', 'batch', batch);
    const skip = skipSpecial(options);
    if (batch.length === 0) return [];
    const rows: number[][] = [];
    for (let i = 0; i < batch.length; i++) rows.push(this.#decodable(batch[i], `batch[${i}]`)); // holes are errors too
    return this.#hf.decodeBatch(rows, skip);
  }

  /** The token string of one id (byte-level symbols, e.g. 'Ġworld'), or undefined. */
  idToToken(id: number): string | undefined {
    expectInteger(id, 'id', 0);
    return this.#hf.idToToken(id) ?? undefined;
  }

  #withBos(ids: ArrayLike<number>, addBos: boolean): Int32Array {
    const offset = addBos ? 1 : 0;
    const out = new Int32Array(ids.length + offset);
    if (addBos) out[0] = this.special.bos;
    for (let i = 0; i < ids.length; i++) out[offset + i] = ids[i]!;
    return out;
  }

  #decodable(value: unknown, name: string): number[] {
    if (value === null || typeof value !== 'object' || typeof (value as ArrayLike<number>).length !== 'number') invalid('array of ids', name, value);
    const ids = value as ArrayLike<unknown>;
    const out: number[] = [];
    for (let i = 0; i < ids.length; i++) out.push(expectInteger(ids[i], `${name}[${i}]`, 0, this.vocabSize - 1));
    return out;
  }
}
