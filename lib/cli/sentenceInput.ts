/**
 * The input of `encode` and `reconstruct`: --text or --input <file> (or - for stdin), cut into
 * the SentenceVAE's pieces (segments; a segment over the model's token limit is split at the
 * token level, never truncated).
 */
import { dirname } from 'node:path';
import { rename, rm, writeFile } from 'node:fs/promises';

import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { makeOutputDir, readTextFile } from '../files.js';
import { tokenizeSegments } from '../text/pieces.js';
import { segment } from '../text/segment.js';
import type { Tokenizer } from '../text/Tokenizer.js';
import type { Flags } from './flags.js';

/** The most text --input reads (a bigger corpus belongs in a script over the library). */
export const maxInputBytes = 64 * 1024 * 1024;

/** The text of --text / --input, checked (exactly one given; not empty). */
export async function readInputText(f: Flags, usage: string): Promise<string> {
  const hasText = typeof f.text === 'string';
  const hasInput = typeof f.input === 'string';
  if (hasText === hasInput) throw new InvalidArgumentError(`Exactly one of --text "..." or --input <file> is required\n\n${usage}`);
  let text: string;
  if (hasText) text = f.text as string;
  else if (f.input === '-') text = await readStdin();
  else text = await readTextFile(f.input as string, { maxBytes: maxInputBytes, what: 'an --input text file' });
  if (text.trim() === '') throw new InvalidArgumentError(`Expected some text for ${hasText ? '--text' : '--input'} but it is empty`);
  return text;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxInputBytes) throw new InvalidArgumentError(`Expected at most ${maxInputBytes} bytes on stdin for --input - but received more`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One piece of the input: its ids (bos first) and its text. */
export interface InputPiece {
  ids: Int32Array;
  text: string;
  /** Index of the segment it comes from (pieces of one long segment share it). */
  segment: number;
}

/** Segments of `text` → the pieces of a model that takes at most `maxTokens` per sentence (bos included), each with its own text. */
export async function inputPieces(tokenizer: Tokenizer, maxTokens: number, text: string): Promise<InputPiece[]> {
  const segments = segment(text);
  const pieces = await tokenizeSegments(tokenizer, segments, { maxTokens });
  const split = new Set(pieces.filter((p) => p.continued).map((p) => p.segment));
  // A segment split at the token level: each part's text is its own tokens decoded.
  const texts = await Promise.all(pieces.map((p) => (split.has(p.segment) ? tokenizer.decode(p.ids.subarray(1)) : segments[p.segment]!)));
  return pieces.map((p, i) => ({ ids: p.ids, text: texts[i]!, segment: p.segment }));
}

/** Writes `content` to `path` through a temporary file and a rename: never a half-written file. */
export async function writeOutputFile(path: string, content: string): Promise<void> {
  await makeOutputDir(dirname(path));
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}
