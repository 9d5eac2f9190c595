import { expectArray, expectInteger, expectOptions, expectString, invalid } from '../validate.js';
import { maxId } from './ids.js';
import { segment, type SegmentOptions } from './segment.js';
import { Tokenizer } from './Tokenizer.js';

/** The model's unit: one sentence's ids (bos first), at most `maxTokens` long. */
export interface SentencePiece {
  /** Token ids, bos first. */
  ids: Int32Array;
  /** Index of the segment (in the text) this piece comes from. */
  segment: number;
  /**
   * True when this piece continues the previous piece of the same segment (the segment was
   * longer than `maxTokens` and was split at the token level).
   */
  continued: boolean;
}

export interface PieceOptions extends SegmentOptions {
  /** Longest piece, bos included (the paper: 64). @default 64 */
  maxTokens?: number;
}

/**
 * Splits one segment's content ids (no bos) into pieces of at most `maxTokens - 1` content ids,
 * each with bos prepended. Nothing is dropped: the pieces' content ids concatenate to `content`.
 */
export function splitIds(content: Int32Array, bosId: number, maxTokens = 64): Int32Array[] {
  if (!(content instanceof Int32Array)) invalid('Int32Array of token ids', 'content', content);
  expectInteger(bosId, 'bosId', -maxId - 1, maxId);
  expectInteger(maxTokens, 'maxTokens', 2);
  const room = maxTokens - 1;
  const pieces: Int32Array[] = [];
  for (let start = 0; start < content.length || pieces.length === 0; start += room) {
    const part = content.subarray(start, Math.min(content.length, start + room));
    const ids = new Int32Array(part.length + 1);
    ids[0] = bosId;
    ids.set(part, 1);
    pieces.push(ids);
  }
  return pieces;
}

/** Segments → token ids → pieces of at most `maxTokens` (see splitIds). */
export async function tokenizeSegments(tokenizer: Tokenizer, segments: readonly string[], options: PieceOptions = {}): Promise<SentencePiece[]> {
  if (!(tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', tokenizer);
  expectArray(segments, 'segments', 'array of strings', expectString);
  options = expectOptions(options);
  const maxTokens = expectInteger(options.maxTokens ?? 64, 'maxTokens', 2);
  const contents = await tokenizer.encodeBatch(segments, { addBos: false });
  const pieces: SentencePiece[] = [];
  contents.forEach((content, s) => {
    splitIds(content, tokenizer.bosId, maxTokens).forEach((ids, k) => pieces.push({ ids, segment: s, continued: k > 0 }));
  });
  return pieces;
}

/** segment() then tokenizeSegments(): the pieces of one text. */
export async function tokenizeText(tokenizer: Tokenizer, text: string, options: PieceOptions = {}): Promise<SentencePiece[]> {
  if (!(tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', tokenizer);
  return tokenizeSegments(tokenizer, segment(text, options), options);
}
