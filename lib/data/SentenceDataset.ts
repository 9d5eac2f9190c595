import { padSentences, type SentenceBatch, bucketBatches } from '../text/batch.js';
import { splitIds } from '../text/pieces.js';
import { segment, type SegmentOptions } from '../text/segment.js';
import { Tokenizer } from '../text/Tokenizer.js';
import { expectBoolean, expectInteger, expectNumber, expectOptions, invalid } from '../validate.js';
import { type CorpusOptions, expectIterable, filterSplit, paragraphText, readCorpus, type Split, type SplitOptions, type Paragraph } from './corpus.js';
import { PackedSequences } from './packed.js';
import { BatchCursor, CursorBatches, type DataPosition } from './position.js';

export interface SentenceDatasetOptions extends SegmentOptions {
  /** Longest sentence piece, bos included. @default 64 */
  maxTokens?: number;
  /** Stop after this many sentence pieces. @default Infinity */
  limit?: number;
  /** Paragraphs tokenized per call into the tokenizer. @default 2048 */
  chunkParagraphs?: number;
}

export interface FromCorpusOptions extends SentenceDatasetOptions, SplitOptions, CorpusOptions {
  /** Which split to keep. @default 'train' */
  split?: Split | 'all';
}

export interface SentenceBatchOptions {
  batchSize: number;
  /** Group similar lengths (less padding). @default true */
  bucket?: boolean;
  /** Seed of the order (each epoch reshuffles with seed + epoch). @default 0 */
  seed?: number;
  /** Resume from here. */
  position?: DataPosition;
}

export interface IndexedSentenceBatch extends SentenceBatch {
  /** Dataset indices of the rows. */
  indices: number[];
}

/** Sentence batches forever (see CursorBatches): `position` restores an exact resume. */
export type SentenceBatches = CursorBatches<IndexedSentenceBatch>;

/**
 * Sentence pieces (≤ maxTokens ids, bos first) for training a SentenceVAE, held compactly in
 * memory (4 bytes a token). Built from paragraphs: segment → tokenize → split over-long pieces.
 *
 * @example
 * ```ts
 * const tok = await Tokenizer.builtin('gpt2-opt-4k');
 * const train = await SentenceDataset.fromCorpus('brown', tok, { split: 'train' });
 * const batches = train.batches({ batchSize: 128, seed: 1 });
 * const { ids, mask, batchSize, length } = batches.next();
 * ```
 */
export class SentenceDataset {
  readonly #pieces: PackedSequences;
  readonly padId: number;
  readonly bosId: number;
  #lengths: Int32Array | undefined;

  private constructor(pieces: PackedSequences, tokenizer: Tokenizer) {
    this.#pieces = pieces;
    this.padId = tokenizer.padId;
    this.bosId = tokenizer.bosId;
  }

  static async fromParagraphs(
    paragraphs: AsyncIterable<string | Paragraph> | Iterable<string | Paragraph>,
    tokenizer: Tokenizer,
    options: SentenceDatasetOptions = {},
  ): Promise<SentenceDataset> {
    expectIterable(paragraphs, 'paragraphs', 'iterable of paragraphs');
    if (!(tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', tokenizer);
    options = expectOptions(options);
    const maxTokens = expectInteger(options.maxTokens ?? 64, 'maxTokens', 2);
    const limit = options.limit ?? Infinity;
    const chunk = expectInteger(options.chunkParagraphs ?? 2048, 'chunkParagraphs', 1);
    const pieces = new PackedSequences();
    let segments: string[] = [];
    let paragraphsInChunk = 0;
    const flush = async () => {
      for (const content of await tokenizer.encodeBatch(segments, { addBos: false })) {
        for (const ids of splitIds(content, tokenizer.bosId, maxTokens)) {
          if (pieces.size < limit) pieces.push(ids);
        }
      }
      segments = [];
      paragraphsInChunk = 0;
    };
    let index = 0;
    for await (const p of paragraphs) {
      const text = paragraphText(p, `paragraphs[${index++}]`);
      for (const s of segment(text, options)) segments.push(s);
      if (++paragraphsInChunk >= chunk) await flush();
      if (pieces.size >= limit) break;
    }
    if (segments.length > 0) await flush();
    return new SentenceDataset(pieces, tokenizer);
  }

  /** From a corpus ('brown', a file or a folder), keeping one split. */
  static async fromCorpus(source: string | readonly string[], tokenizer: Tokenizer, options: FromCorpusOptions = {}): Promise<SentenceDataset> {
    if (!(tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', tokenizer);
    options = expectOptions(options);
    const split = options.split ?? 'train';
    const all = readCorpus(source, options);
    return SentenceDataset.fromParagraphs(split === 'all' ? all : filterSplit(all, split, options), tokenizer, options);
  }

  /** Number of sentence pieces. */
  get size(): number {
    return this.#pieces.size;
  }

  /** Number of tokens, bos included. */
  get tokens(): number {
    return this.#pieces.tokens;
  }

  /** Piece i: ids with bos first (a view). */
  get(i: number): Int32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) invalid(`an index in [0, ${this.size})`, 'index', i);
    return this.#pieces.get(i);
  }

  lengths(): Int32Array {
    this.#lengths ??= this.#pieces.lengths();
    return this.#lengths;
  }

  /** Seeded, resumable batches (bucketed by length unless `bucket: false`). */
  batches(options: SentenceBatchOptions): SentenceBatches {
    options = expectOptions(options);
    const batchSize = expectInteger(options.batchSize, 'batchSize', 1);
    const seed = expectNumber(options.seed ?? 0, 'seed');
    if (options.bucket !== undefined) expectBoolean(options.bucket, 'bucket');
    const lengths = options.bucket === false ? new Int32Array(this.size) : this.lengths();
    const plan = (epoch: number) => bucketBatches(lengths, { batchSize, seed: seed + epoch, windowBatches: options.bucket === false ? 1 : 50 });
    return new CursorBatches(new BatchCursor(plan, options.position), (indices) => ({
      ...padSentences(indices.map((i) => this.get(i)), { padId: this.padId }),
      indices,
    }));
  }
}
