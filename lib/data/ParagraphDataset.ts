import { padParagraphs, type ParagraphBatch, bucketBatches } from '../text/batch.js';
import { splitIds } from '../text/pieces.js';
import { segment, type SegmentOptions } from '../text/segment.js';
import { Tokenizer } from '../text/Tokenizer.js';
import { expectBoolean, expectInteger, expectNumber, expectOptions, invalid } from '../validate.js';
import { expectIterable, filterSplit, paragraphText, readCorpus, type Paragraph } from './corpus.js';
import { PackedSequences } from './packed.js';
import { BatchCursor, CursorBatches } from './position.js';
import type { FromCorpusOptions, SentenceBatchOptions } from './SentenceDataset.js';

export interface ParagraphDatasetOptions extends SegmentOptions {
  /** Longest sentence piece, bos included. @default 64 */
  maxTokens?: number;
  /** Most sentences per paragraph; longer paragraphs are cut into consecutive chunks. @default 64 */
  maxSentences?: number;
  /** Paragraphs with fewer sentences are dropped (an SLLM needs a sentence to predict). @default 2 */
  minSentences?: number;
  /** Stop after this many paragraphs. @default Infinity */
  limit?: number;
}

export interface IndexedParagraphBatch extends ParagraphBatch {
  indices: number[];
}

/** Paragraph batches forever (see CursorBatches): `position` restores an exact resume. */
export type ParagraphBatches = CursorBatches<IndexedParagraphBatch>;

/**
 * Paragraphs as lists of sentence pieces (≤ maxSentences × ≤ maxTokens) for training an SLLM.
 * @example
 * ```ts
 * const data = await ParagraphDataset.fromCorpus('brown', tok, { split: 'validation' });
 * const { ids, tokenMask, sentenceMask } = data.batches({ batchSize: 1 }).next();
 * ```
 */
export class ParagraphDataset {
  readonly #sentences: PackedSequences;
  readonly #starts: number[]; // paragraph p = sentences starts[p] .. starts[p+1] (set by the constructor)
  readonly padId: number;

  private constructor(sentences: PackedSequences, starts: number[], tokenizer: Tokenizer) {
    this.#sentences = sentences;
    this.#starts = starts;
    this.padId = tokenizer.padId;
  }

  static async fromParagraphs(
    paragraphs: AsyncIterable<string | Paragraph> | Iterable<string | Paragraph>,
    tokenizer: Tokenizer,
    options: ParagraphDatasetOptions = {},
  ): Promise<ParagraphDataset> {
    expectIterable(paragraphs, 'paragraphs', 'iterable of paragraphs');
    if (!(tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', tokenizer);
    options = expectOptions(options);
    const maxTokens = expectInteger(options.maxTokens ?? 64, 'maxTokens', 2);
    const maxSentences = expectInteger(options.maxSentences ?? 64, 'maxSentences', 1);
    const minSentences = expectInteger(options.minSentences ?? 2, 'minSentences', 1);
    const limit = options.limit ?? Infinity;
    const sentences = new PackedSequences();
    const starts = [0];
    const batch: string[][] = [];
    const flush = async () => {
      const segs = batch.flat();
      const contents = await tokenizer.encodeBatch(segs, { addBos: false });
      let k = 0;
      for (const p of batch) {
        const pieces = p.flatMap(() => splitIds(contents[k++]!, tokenizer.bosId, maxTokens));
        for (let c = 0; c < pieces.length && starts.length - 1 < limit; c += maxSentences) {
          const chunk = pieces.slice(c, c + maxSentences);
          if (chunk.length < minSentences) continue;
          for (const ids of chunk) sentences.push(ids);
          starts.push(sentences.size);
        }
      }
      batch.length = 0;
    };
    let index = 0;
    for await (const p of paragraphs) {
      batch.push(segment(paragraphText(p, `paragraphs[${index++}]`), options));
      if (batch.length >= 1024) await flush();
      if (starts.length - 1 >= limit) break;
    }
    if (batch.length > 0) await flush();
    return new ParagraphDataset(sentences, starts, tokenizer);
  }

  static async fromCorpus(source: string | readonly string[], tokenizer: Tokenizer, options: ParagraphDatasetOptions & Omit<FromCorpusOptions, 'limit'> = {}): Promise<ParagraphDataset> {
    if (!(tokenizer instanceof Tokenizer)) invalid('Tokenizer', 'tokenizer', tokenizer);
    options = expectOptions(options);
    const split = options.split ?? 'train';
    const all = readCorpus(source, options);
    return ParagraphDataset.fromParagraphs(split === 'all' ? all : filterSplit(all, split, options), tokenizer, options);
  }

  get size(): number {
    return this.#starts.length - 1;
  }

  /** Sentences in paragraph p. */
  sentenceCount(p: number): number {
    return this.#starts[p + 1]! - this.#starts[p]!;
  }

  /** Paragraph p: its sentence pieces (views), bos first in each. */
  get(p: number): Int32Array[] {
    if (!Number.isInteger(p) || p < 0 || p >= this.size) invalid(`an index in [0, ${this.size})`, 'index', p);
    const out: Int32Array[] = [];
    for (let s = this.#starts[p]!; s < this.#starts[p + 1]!; s++) out.push(this.#sentences.get(s));
    return out;
  }

  /** Seeded, resumable batches, bucketed by sentence count unless `bucket: false`. */
  batches(options: SentenceBatchOptions): ParagraphBatches {
    options = expectOptions(options);
    const batchSize = expectInteger(options.batchSize, 'batchSize', 1);
    const seed = expectNumber(options.seed ?? 0, 'seed');
    if (options.bucket !== undefined) expectBoolean(options.bucket, 'bucket');
    const counts = new Int32Array(this.size);
    if (options.bucket !== false) for (let p = 0; p < this.size; p++) counts[p] = this.sentenceCount(p);
    const plan = (epoch: number) => bucketBatches(counts, { batchSize, seed: seed + epoch, windowBatches: options.bucket === false ? 1 : 50 });
    return new CursorBatches(new BatchCursor(plan, options.position), (indices) => ({
      ...padParagraphs(indices.map((i) => this.get(i)), { padId: this.padId }),
      indices,
    }));
  }
}
