import { expectArray, expectInteger, expectOptions, invalid } from '../validate.js';
import { createRng } from '../data/rng.js';
import { expectIdRows, expectIds } from './ids.js';

/** Sentences padded to one length: ids and mask are row-major [batchSize, length]. */
export interface SentenceBatch {
  ids: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  mask: Uint8Array;
  /** Real length of each row. */
  lengths: Int32Array;
  batchSize: number;
  length: number;
}

/** Paragraphs padded to [batchSize, sentences, length]. */
export interface ParagraphBatch {
  ids: Int32Array;
  /** [B, S, L]: 1 for real tokens. */
  tokenMask: Uint8Array;
  /** [B, S]: 1 for real sentences. */
  sentenceMask: Uint8Array;
  /** Number of real sentences of each paragraph. */
  sentenceCounts: Int32Array;
  /** [B, S]: tokens of each sentence (bos included; 0 where there is none). */
  lengths: Int32Array;
  batchSize: number;
  sentences: number;
  length: number;
}

export interface PadOptions {
  /** Id written into padding. */
  padId: number;
  /** Pad to this length instead of the longest row (rows longer than it are an error). */
  length?: number;
}

/** An array of id arrays, every index present (a hole, a non-array row or a non-integer id is an error, not a crash). */
const checkSeqs = (seqs: unknown, name: string) => expectIdRows(seqs, name);

/**
 * Pads sentences (ids with bos first) to one length.
 * @example
 * ```ts
 * const b = padSentences([ids1, ids2], { padId: tokenizer.padId });  // b.ids: [2, L]
 * ```
 */
export function padSentences(seqs: readonly ArrayLike<number>[], options: PadOptions): SentenceBatch {
  checkSeqs(seqs, 'seqs');
  options = expectOptions(options);
  const padId = expectInteger(options.padId, 'padId');
  const longest = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const length = options.length === undefined ? longest : expectInteger(options.length, 'length', longest);
  const batchSize = seqs.length;
  const ids = new Int32Array(batchSize * length).fill(padId);
  const mask = new Uint8Array(batchSize * length);
  const lengths = new Int32Array(batchSize);
  seqs.forEach((s, b) => {
    const row = b * length;
    for (let i = 0; i < s.length; i++) ids[row + i] = s[i]!;
    mask.fill(1, row, row + s.length);
    lengths[b] = s.length;
  });
  return { ids, mask, lengths, batchSize, length };
}

export interface PadParagraphOptions extends PadOptions {
  /** Pad to this many sentences instead of the longest paragraph. */
  sentences?: number;
}

/** Pads paragraphs (arrays of sentences) to [B, S, L] with token and sentence masks. */
export function padParagraphs(paragraphs: readonly (readonly ArrayLike<number>[])[], options: PadParagraphOptions): ParagraphBatch {
  const given: unknown = paragraphs;
  if (!Array.isArray(given)) invalid('array of paragraphs', 'paragraphs', given);
  for (let i = 0; i < paragraphs.length; i++) checkSeqs(paragraphs[i], `paragraphs[${i}]`);
  options = expectOptions(options);
  const padId = expectInteger(options.padId, 'padId');
  let maxS = 0;
  let maxL = 0;
  for (const p of paragraphs) {
    maxS = Math.max(maxS, p.length);
    for (const s of p) maxL = Math.max(maxL, s.length);
  }
  const sentences = options.sentences === undefined ? maxS : expectInteger(options.sentences, 'sentences', maxS);
  const length = options.length === undefined ? maxL : expectInteger(options.length, 'length', maxL);
  const batchSize = paragraphs.length;
  const ids = new Int32Array(batchSize * sentences * length).fill(padId);
  const tokenMask = new Uint8Array(ids.length);
  const sentenceMask = new Uint8Array(batchSize * sentences);
  const sentenceCounts = new Int32Array(batchSize);
  const lengths = new Int32Array(batchSize * sentences);
  paragraphs.forEach((p, b) => {
    sentenceCounts[b] = p.length;
    p.forEach((s, k) => {
      lengths[b * sentences + k] = s.length;
      const row = (b * sentences + k) * length;
      for (let i = 0; i < s.length; i++) ids[row + i] = s[i]!;
      tokenMask.fill(1, row, row + s.length);
      sentenceMask[b * sentences + k] = 1;
    });
  });
  return { ids, tokenMask, sentenceMask, sentenceCounts, lengths, batchSize, sentences, length };
}

export interface BucketOptions {
  /** Items per batch. */
  batchSize: number;
  /**
   * Items are shuffled, then sorted by length inside windows of this many batches: larger
   * windows pad less but mix lengths less. @default 50
   */
  windowBatches?: number;
  /** Seed of the shuffles (same seed, same batches). @default 0 */
  seed?: number;
}

/**
 * Length bucketing: groups item indices into batches of similar length, in a seeded random
 * order. Returns index batches; `paddingRatio` tells how much padding they cost.
 */
export function bucketBatches(lengths: ArrayLike<number>, options: BucketOptions): number[][] {
  expectIds(lengths, 'lengths', 'array of lengths');
  options = expectOptions(options);
  const batchSize = expectInteger(options.batchSize, 'batchSize', 1);
  const windowBatches = expectInteger(options.windowBatches ?? 50, 'windowBatches', 1);
  const rng = createRng(options.seed ?? 0);
  const order = rng.permutation(lengths.length);
  const batches: number[][] = [];
  const window = batchSize * windowBatches;
  for (let w = 0; w < order.length; w += window) {
    const slice = Array.from(order.subarray(w, w + window)).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let b = 0; b < slice.length; b += batchSize) batches.push(slice.slice(b, b + batchSize));
  }
  const batchOrder = rng.permutation(batches.length);
  return Array.from(batchOrder, (i) => batches[i]!);
}

/** Fraction of padded positions when each batch is padded to its longest item. */
export function paddingRatio(batches: readonly (readonly number[])[], lengths: ArrayLike<number>): number {
  expectIds(lengths, 'lengths', 'array of lengths');
  const last = lengths.length - 1;
  expectArray(batches, 'batches', 'array of index batches', (batch, name) => expectArray(batch, name, 'array of indices', (i, at) => expectInteger(i, at, 0, last)));
  let real = 0;
  let total = 0;
  for (const batch of batches) {
    let longest = 0;
    for (const i of batch) {
      real += lengths[i]!;
      longest = Math.max(longest, lengths[i]!);
    }
    total += longest * batch.length;
  }
  return total === 0 ? 0 : 1 - real / total;
}
