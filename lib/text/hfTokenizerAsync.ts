/**
 * Builds a `tokenizers` Tokenizer without blocking the event loop. `Tokenizer.fromString` of a
 * GPT-2 tokenizer.json is one synchronous native call of ~100-250 ms (plus ~100 ms of JSON.parse
 * to inspect it): every request of a server loading a model would stall that long. Instead:
 *
 * 1. a worker thread reads and parses tokenizer.json and writes its vocabulary and merges as
 *    vocab.json + merges.txt in a temporary folder (tokenizerWorker.ts);
 * 2. `BPE.fromFile` (asynchronous: it runs on libuv's pool) builds the model from them;
 * 3. on the main thread only small steps remain: the normalizer, pre-tokenizer, decoder and
 *    post-processor come from the tokenizer.json without its vocabulary (a tiny fromString), and
 *    the added tokens are added back; their ids are checked against the file.
 *
 * The result is the same tokenizer (tests compare ids and texts with fromString's). Files this
 * route cannot express (not BPE, merge tokens with spaces, ignore_merges) take fromString.
 */
import { rm } from 'node:fs/promises';

import { AddedToken, BPE, Tokenizer as HfTokenizer, type BpeOptions } from 'tokenizers';

import { FormatError } from '../errors/FormatError.js';
import { startWorker } from '../native/workerArgs.js';
import { maxTokenizerBytes, readTextFile } from '../files.js';
import { byteLevelJson } from './byteLevelJson.js';

type Split = { shell: string; vocabPath: string; mergesPath: string; tempDir: string } | { fallback: string; text?: string } | { error: string; path: string };

/** What to load: a tokenizer.json, or a GPT-2 style vocab.json + merges.txt with the special tokens to declare. */
export type TokenizerSource = { path: string } | { vocabPath: string; mergesPath: string; specials: string[] };

interface AddedSpec { id: number; content: string; special?: boolean; single_word?: boolean; lstrip?: boolean; rstrip?: boolean; normalized?: boolean }

function splitInWorker(source: TokenizerSource): Promise<Split> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(new URL('./tokenizerWorker.js', import.meta.url), { workerData: source });
    worker.once('message', (m: Split) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the tokenizer worker exited with code ${code}`));
    });
  });
}

/** BpeOptions from the JSON model's fields (undefined when one is set that BPE.fromFile cannot take). */
function bpeOptions(model: Record<string, unknown>): BpeOptions | undefined {
  const o: BpeOptions = {};
  if (typeof model.dropout === 'number') o.dropout = model.dropout;
  else if (model.dropout !== null && model.dropout !== undefined) return undefined;
  for (const [key, to] of [['unk_token', 'unkToken'], ['continuing_subword_prefix', 'continuingSubwordPrefix'], ['end_of_word_suffix', 'endOfWordSuffix']] as const) {
    const v = model[key];
    if (typeof v === 'string') o[to] = v;
    else if (v !== null && v !== undefined) return undefined;
  }
  if (model.fuse_unk === true) o.fuseUnk = true;
  if (model.byte_fallback === true) o.byteFallback = true;
  return o;
}

/** The in-memory tokenizer.json of a vocab.json + merges.txt source (the rare fallback: re-read on the main thread). */
async function rebuild(source: { vocabPath: string; mergesPath: string; specials: string[] }): Promise<string> {
  const vocab = JSON.parse(await readTextFile(source.vocabPath, { maxBytes: maxTokenizerBytes, what: 'a tokenizer file' })) as Record<string, number>;
  const merges = (await readTextFile(source.mergesPath, { maxBytes: maxTokenizerBytes, what: 'a tokenizer file' })).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#version'));
  return byteLevelJson(vocab, merges, source.specials);
}

export interface LoadedHfTokenizer {
  hf: HfTokenizer;
  /** The tokenizer.json without its vocabulary and merges (what callers inspect: pipeline, added tokens). */
  json: Record<string, unknown>;
}

async function viaFromString(path: string, given?: string): Promise<LoadedHfTokenizer> {
  const text = given ?? (await readTextFile(path, { maxBytes: maxTokenizerBytes, what: 'a tokenizer file' }));
  const hf = HfTokenizer.fromString(text);
  const json = JSON.parse(text) as Record<string, unknown>;
  return { hf, json };
}

/** A `tokenizers` Tokenizer from a tokenizer.json (or vocab.json + merges.txt), built off the event loop. */
export async function loadHfTokenizer(source: TokenizerSource, failure: (why: string) => FormatError): Promise<LoadedHfTokenizer> {
  const split = await splitInWorker(source);
  if ('error' in split) throw new FormatError(split.error, { path: split.path });
  try {
    return await build(source, split);
  } catch (error) {
    throw error instanceof FormatError ? error : failure((error as Error).message);
  }
}

async function build(source: TokenizerSource, split: Exclude<Split, { error: string }>): Promise<LoadedHfTokenizer> {
  const path = 'path' in source ? source.path : source.vocabPath;
  if ('fallback' in split) return viaFromString(path, split.text);
  try {
    const json = JSON.parse(split.shell) as Record<string, unknown>;
    const options = bpeOptions(json.model as Record<string, unknown>);
    if (!options) return await viaFromString(path, 'path' in source ? undefined : await rebuild(source));
    const shell = HfTokenizer.fromString(split.shell);
    const model = await BPE.fromFile(split.vocabPath, split.mergesPath, options);
    const hf = new HfTokenizer(model);
    const normalizer = shell.getNormalizer();
    if (normalizer) hf.setNormalizer(normalizer);
    const pre = shell.getPreTokenizer();
    if (pre) hf.setPreTokenizer(pre);
    const decoder = shell.getDecoder();
    if (decoder) hf.setDecoder(decoder);
    const post = shell.getPostProcessor();
    if (post) hf.setPostProcessor(post);
    const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as AddedSpec[];
    if (added.length > 0) {
      hf.addAddedTokens(added.map((t) => new AddedToken(t.content, t.special === true, {
        singleWord: t.single_word === true, leftStrip: t.lstrip === true, rightStrip: t.rstrip === true, normalized: t.normalized ?? t.special !== true,
      })));
    }
    // Added tokens outside the vocabulary would get the next free ids, not necessarily the file's.
    if (added.some((t) => hf.tokenToId(t.content) !== t.id)) return await viaFromString(path, 'path' in source ? undefined : await rebuild(source));
    return { hf, json };
  } finally {
    await rm(split.tempDir, { recursive: true, force: true });
  }
}
