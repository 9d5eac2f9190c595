import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import type { ParagraphBatch } from '../text/batch.js';
import { expectIdRows, maxId } from '../text/ids.js';
import { expectArray, expectInteger, expectOptions, invalid } from '../validate.js';
import type { BatchSource } from '../train/TrainableModel.js';
import type { DataPosition } from './position.js';

/** Right-padded token rows for a token-level LM: ids and a 0/1 mask, [B, T] row-major. */
export interface TokenBatch {
  ids: Int32Array;
  mask: Uint8Array;
  shape: [number, number];
}

/**
 * A paragraph (sentence pieces, bos first in each) as one token row for a token-level LM:
 * [bos, content of every sentence..., eos]. `firstEnd` is the index just past sentence 1's
 * content: targets from there on (sentences 2..S and the eos) are the ones an SLLM predicts.
 */
export function paragraphRow(pieces: readonly ArrayLike<number>[], bosId: number, eosId: number): { ids: Int32Array; firstEnd: number } {
  expectIdRows(pieces, 'pieces');
  // Each piece starts with its bos: an empty one would make the row one slot short.
  pieces.forEach((p, i) => { if (p.length === 0) invalid('array of ids with bos first (at least 1 id)', `pieces[${i}]`, p); });
  expectInteger(bosId, 'bosId', -maxId - 1, maxId);
  expectInteger(eosId, 'eosId', -maxId - 1, maxId);
  const total = pieces.reduce((n, p) => n + p.length - 1, 0) + 2;
  const ids = new Int32Array(total);
  ids[0] = bosId;
  let at = 1;
  let firstEnd = 1;
  pieces.forEach((p, s) => {
    for (let i = 1; i < p.length; i++) ids[at++] = p[i]!;
    if (s === 0) firstEnd = at;
  });
  ids[at] = eosId;
  return { ids, firstEnd };
}

/** Rows right-padded into one TokenBatch. */
export function padRows(rows: readonly Int32Array[], padId: number): TokenBatch {
  expectArray(rows, 'rows', 'array of Int32Array rows', (r, name) => { if (!(r instanceof Int32Array)) invalid('Int32Array of token ids', name, r); });
  expectInteger(padId, 'padId', -maxId - 1, maxId);
  const t = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const ids = new Int32Array(rows.length * t).fill(padId);
  const mask = new Uint8Array(rows.length * t);
  rows.forEach((r, b) => {
    ids.set(r, b * t);
    mask.fill(1, b * t, b * t + r.length);
  });
  return { ids, mask, shape: [rows.length, t] };
}

/**
 * The same paragraph batches as token rows (see paragraphRow): trains a token-level OPT on
 * exactly the data an SLLM sees, with the same order and resumable position.
 */
export class TokenBatches implements BatchSource<TokenBatch> {
  readonly #source: BatchSource<ParagraphBatch>;
  readonly #special: { bos: number; eos: number; pad: number };

  constructor(source: BatchSource<ParagraphBatch>, special: { bos: number; eos: number; pad: number }) {
    if (typeof (source as { next?: unknown } | null)?.next !== 'function') invalid('batch source (an object with next())', 'source', source);
    const s = expectOptions(special, 'special');
    this.#source = source;
    this.#special = {
      bos: expectInteger(s.bos, 'special.bos', -maxId - 1, maxId),
      eos: expectInteger(s.eos, 'special.eos', -maxId - 1, maxId),
      pad: expectInteger(s.pad, 'special.pad', -maxId - 1, maxId),
    };
  }

  next(): TokenBatch {
    const b = this.#source.next();
    const rows: Int32Array[] = [];
    for (let p = 0; p < b.batchSize; p++) {
      const pieces: Int32Array[] = [];
      for (let s = 0; s < b.sentenceCounts[p]!; s++) {
        const start = (p * b.sentences + s) * b.length;
        pieces.push(b.ids.subarray(start, start + b.lengths[p * b.sentences + s]!));
      }
      rows.push(paragraphRow(pieces, this.#special.bos, this.#special.eos).ids);
    }
    return padRows(rows, this.#special.pad);
  }

  get position(): DataPosition {
    return this.#source.position;
  }

  restore(position: DataPosition): void {
    this.#source.restore(position);
  }

  /** Distributed runs: rank `rank`'s slice of every global batch (see CursorBatches.shard). */
  shard(rank: number, worldSize: number): TokenBatches {
    if (typeof this.#source.shard !== 'function') {
      throw new InvalidArgumentError('Expected paragraph batches with shard(rank, worldSize) (dataset.batches(...)) under these token batches for a distributed run');
    }
    return new TokenBatches(this.#source.shard(rank, worldSize), this.#special);
  }
}
