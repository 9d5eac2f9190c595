/**
 * Sentence segmentation: cut text into the segments the SentenceVAE encodes one by one.
 *
 * Rules (DESIGN.md §2):
 * - cut after a cut mark (default `, . ! ? ; :` and CJK `，。！？；：…`); the run of
 *   punctuation, symbols and combining marks right after it (closing quotes and brackets, `?!`,
 *   `...`, `.-`) stays with the segment it ends: byte-level BPE's pre-tokenizer keeps such a run
 *   together, so cutting inside it would change the tokens;
 * - cut at line breaks, before the whole whitespace run that holds the break;
 * - whitespace after a cut starts the next segment (byte-level BPE attaches a space to the
 *   word after it, so tokenizing segment by segment gives the tokens of the whole text);
 * - no cut inside a number: `.`, `,` and `:` between two ASCII digits (3.14, 1,000, 10:30);
 * - trailing whitespace-only text joins the last segment;
 * - abbreviations are not special ("Dr. Smith" is cut after "Dr."), as in the paper.
 * It is lossless: `segment(t).join('') === t` for every string, lone surrogates included.
 */

import { expectBoolean, expectOptions, expectString, invalid } from '../validate.js';

export interface SegmentOptions {
  /**
   * Characters after which a segment ends.
   * @default ",.!?;:，。！？；：…"
   */
  cutMarks?: string;
  /**
   * Cut at line breaks (\n, \r, U+2028, U+2029).
   * @default true
   */
  cutAtLineBreaks?: boolean;
}

export const defaultCutMarks = ',.!?;:，。！？；：…';

const numberSeparators = new Set([0x2c, 0x2e, 0x3a]); // , . :

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLineBreak = (c: number) => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
const isWhitespace = (c: number) =>
  c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x85 || c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
const letterNumberOrSpace = /^[\p{L}\p{N}\s]/u;

/**
 * Length (1 or 2 code units) of the character at i if it is punctuation, a symbol, a mark or a
 * control character — what GPT-2's pre-tokenizer groups as `[^\s\p{L}\p{N}]+` — else 0.
 */
function punctuationAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) {
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    return alnum || isWhitespace(c) ? 0 : 1;
  }
  const cp = text.codePointAt(i)!;
  const ch = String.fromCodePoint(cp);
  return letterNumberOrSpace.test(ch) ? 0 : ch.length;
}

/** A compiled cut-mark set (code units; marks must be single UTF-16 code units). */
class CutSet {
  readonly #set: Set<number>;
  constructor(marks: string) {
    this.#set = new Set();
    for (let i = 0; i < marks.length; i++) this.#set.add(marks.charCodeAt(i));
  }
  has(c: number): boolean {
    return this.#set.has(c);
  }
}

const defaultCuts = new CutSet(defaultCutMarks);

function compile(value: SegmentOptions | undefined): { cuts: CutSet; lineBreaks: boolean } {
  const options = expectOptions(value);
  const marks = options.cutMarks;
  if (marks !== undefined) expectString(marks, 'cutMarks');
  return {
    cuts: marks === undefined || marks === defaultCutMarks ? defaultCuts : new CutSet(marks),
    lineBreaks: options.cutAtLineBreaks === undefined ? true : expectBoolean(options.cutAtLineBreaks, 'cutAtLineBreaks'),
  };
}

/** Ends of segments in `text` (exclusive), the last one === text.length unless text is empty. */
function cutPoints(text: string, cuts: CutSet, lineBreaks: boolean): number[] {
  const ends: number[] = [];
  const n = text.length;
  let start = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (lineBreaks && isLineBreak(c)) {
      let j = i;
      while (j > start && isWhitespace(text.charCodeAt(j - 1))) j--;
      if (j > start) {
        ends.push(j);
        start = j;
      }
      while (i < n && isWhitespace(text.charCodeAt(i))) i++;
      continue;
    }
    if (cuts.has(c) && !(numberSeparators.has(c) && i > 0 && isDigit(text.charCodeAt(i - 1)) && i + 1 < n && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      for (let step = i < n ? punctuationAt(text, i) : 0; step > 0; step = i < n ? punctuationAt(text, i) : 0) i += step;
      ends.push(i);
      start = i;
      continue;
    }
    i++;
  }
  if (start < n) {
    let onlyWhitespace = true;
    for (let k = start; k < n && onlyWhitespace; k++) onlyWhitespace = isWhitespace(text.charCodeAt(k));
    if (onlyWhitespace && ends.length > 0) ends[ends.length - 1] = n;
    else ends.push(n);
  }
  return ends;
}

/**
 * Cuts `text` into segments; `segment(text).join('') === text` always.
 * @example
 * ```ts
 * segment('Hello, world. It costs 3.50!\nBye');
 * // ['Hello,', ' world.', ' It costs 3.50!', '\nBye']
 * ```
 */
export function segment(text: string, options: SegmentOptions = {}): string[] {
  expectString(text, 'text');
  const { cuts, lineBreaks } = compile(options);
  const out: string[] = [];
  let start = 0;
  for (const end of cutPoints(text, cuts, lineBreaks)) {
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

/**
 * The streaming form: segments of the concatenation of `chunks`, yielded as soon as they are
 * certain. Output equals `segment(chunks.join(''))` for any chunking.
 * @example
 * ```ts
 * for await (const s of segmentStream(fs.createReadStream(path, 'utf8'))) console.log(s);
 * ```
 */
export async function* segmentStream(chunks: AsyncIterable<string> | Iterable<string>, options: SegmentOptions = {}): AsyncGenerator<string> {
  const given = chunks as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null | undefined;
  if (given === null || given === undefined || (typeof given[Symbol.asyncIterator] !== 'function' && typeof given[Symbol.iterator] !== 'function')) {
    invalid('iterable of strings', 'chunks', chunks);
  }
  const { cuts, lineBreaks } = compile(options);
  let buffer = '';
  let pendingHighSurrogate = '';
  for await (const chunk of chunks) {
    expectString(chunk, 'chunk');
    buffer += pendingHighSurrogate + chunk;
    pendingHighSurrogate = '';
    // Every segment but the last is final: its end depends only on text already seen.
    const ends = cutPoints(buffer, cuts, lineBreaks);
    let start = 0;
    for (let k = 0; k < ends.length - 1; k++) {
      yield buffer.slice(start, ends[k]);
      start = ends[k]!;
    }
    buffer = buffer.slice(start);
  }
  buffer += pendingHighSurrogate;
  if (buffer.length > 0) yield* segment(buffer, options);
}
