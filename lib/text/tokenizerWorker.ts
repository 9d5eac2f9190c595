/**
 * Worker thread of loadHfTokenizer (text/hfTokenizerAsync.ts): reads and parses a
 * tokenizer.json off the main thread (a 1.4 MB GPT-2 file takes ~100 ms of JSON.parse alone) and
 * splits it into a small "shell" (everything but the BPE vocabulary and merges) and the
 * vocab.json + merges.txt files that `tokenizers`' asynchronous BPE.fromFile reads on its own
 * thread. Answers { shell, vocabPath, mergesPath, tempDir } or { fallback: why } when the file
 * needs the whole-JSON path (not BPE, a merge token containing a space, an option BPE.fromFile
 * lacks), or { error, path } for a FormatError.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

import { maxTokenizerBytes, readTextFile } from '../files.js';
import { byteLevelJson } from './byteLevelJson.js';

/** A tokenizer.json, or a GPT-2 style vocab.json + merges.txt pair (with the special tokens to declare). */
type Request = { path: string } | { vocabPath: string; mergesPath: string; specials: string[] };

const limit = { maxBytes: maxTokenizerBytes, what: 'a tokenizer file' };

/** The tokenizer.json text of the request (built in memory for vocab.json + merges.txt, as Tokenizer did on the main thread before). */
async function jsonText(request: Request): Promise<{ text: string; path: string } | { error: string; path: string }> {
  if ('path' in request) {
    try {
      return { text: await readTextFile(request.path, limit), path: request.path };
    } catch (error) {
      return { error: (error as Error).message, path: request.path };
    }
  }
  let vocab: Record<string, number>;
  try {
    vocab = JSON.parse(await readTextFile(request.vocabPath, limit)) as Record<string, number>;
  } catch (error) {
    return { error: (error as Error).name === 'FormatError' ? (error as Error).message : `${request.vocabPath} is not valid JSON: ${(error as Error).message}`, path: request.vocabPath };
  }
  let merges: string[];
  try {
    merges = (await readTextFile(request.mergesPath, limit)).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#version'));
  } catch (error) {
    return { error: (error as Error).message, path: request.mergesPath };
  }
  return { text: byteLevelJson(vocab, merges, request.specials), path: request.vocabPath };
}

async function split(request: Request): Promise<object> {
  const read = await jsonText(request);
  if ('error' in read) return read;
  const { text, path } = read;
  let json: { model?: Record<string, unknown> } & Record<string, unknown>;
  try {
    json = JSON.parse(text) as typeof json;
  } catch (error) {
    return { error: `${path} could not be loaded: ${(error as Error).message}`, path };
  }
  const model = json?.model;
  // The fallback carries the JSON text when it was built here (vocab.json + merges.txt).
  const whole = 'path' in request ? {} : { text };
  if (model === null || typeof model !== 'object' || model.type !== 'BPE') return { fallback: 'not a BPE model', ...whole };
  if (model.ignore_merges === true) return { fallback: 'ignore_merges', ...whole };
  const vocab = model.vocab;
  const merges = model.merges;
  if (vocab === null || typeof vocab !== 'object' || Array.isArray(vocab) || !Array.isArray(merges)) return { fallback: 'no vocab/merges', ...whole };
  const lines: string[] = [];
  for (const m of merges as unknown[]) {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    // merges.txt separates the two tokens by one space: a token containing a space cannot be written.
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((p) => typeof p !== 'string' || p.includes(' ') || p.includes('\n') || p === '')) {
      return { fallback: 'a merge that merges.txt cannot express', ...whole };
    }
    lines.push(`${pair[0]} ${pair[1]}`);
  }
  const tempDir = await mkdtemp(join(tmpdir(), 'sentencevae-tokenizer-'));
  try {
    const vocabPath = join(tempDir, 'vocab.json');
    const mergesPath = join(tempDir, 'merges.txt');
    await writeFile(vocabPath, JSON.stringify(vocab));
    await writeFile(mergesPath, `#version: 0.2\n${lines.join('\n')}\n`);
    const shell = JSON.stringify({ ...json, model: { ...model, vocab: {}, merges: [] } });
    return { shell, vocabPath, mergesPath, tempDir };
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    return { fallback: `temporary files: ${(error as Error).message}`, ...whole };
  }
}

parentPort?.postMessage(await split(workerData as Request));
