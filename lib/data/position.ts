import { expectInteger, invalid } from '../validate.js';

/** Where a batch iterator is: save it in a checkpoint, restore it to resume exactly. */
export interface DataPosition {
  /** Completed passes over the data. */
  epoch: number;
  /** Batches already taken in the current epoch. */
  batch: number;
}

export function checkPosition(value: unknown): DataPosition {
  if (value === null || typeof value !== 'object') invalid('{ epoch, batch }', 'position', value);
  const p = value as Record<string, unknown>;
  return { epoch: expectInteger(p.epoch, 'position.epoch', 0), batch: expectInteger(p.batch, 'position.batch', 0) };
}

/**
 * An endless, resumable sequence of index batches: epoch e uses `plan(e)` (a deterministic
 * function of the epoch), so a position fully determines what comes next.
 */
export class BatchCursor {
  readonly #plan: (epoch: number) => number[][];
  #epoch = 0;
  #batch = 0;
  #current: number[][] | undefined;

  constructor(plan: (epoch: number) => number[][], position?: DataPosition) {
    this.#plan = plan;
    if (position) this.restore(position);
  }

  get position(): DataPosition {
    return { epoch: this.#epoch, batch: this.#batch };
  }

  restore(position: DataPosition): void {
    const p = checkPosition(position);
    this.#epoch = p.epoch;
    this.#batch = p.batch;
    this.#current = undefined;
  }

  /** The next batch of indices (wraps to the next epoch). */
  next(): number[] {
    this.#current ??= this.#plan(this.#epoch);
    if (this.#current.length === 0) throw new RangeError('The dataset is empty: there is no batch to take');
    if (this.#batch >= this.#current.length) {
      this.#epoch++;
      this.#batch = 0;
      this.#current = this.#plan(this.#epoch);
    }
    return this.#current[this.#batch++]!;
  }
}

/** What CursorBatches reads: a BatchCursor, or a view of one (a shard). */
export type IndexCursor = Pick<BatchCursor, 'next' | 'position' | 'restore'>;

/**
 * Batches forever from a cursor of index batches: `make` turns indices into a padded batch.
 * `position` can be saved in a checkpoint and `restore`d for an exact resume.
 */
export class CursorBatches<B> {
  readonly #cursor: IndexCursor;
  readonly #make: (indices: number[]) => B;

  constructor(cursor: IndexCursor, make: (indices: number[]) => B) {
    this.#cursor = cursor;
    this.#make = make;
  }

  get position(): DataPosition {
    return this.#cursor.position;
  }

  restore(position: DataPosition): void {
    this.#cursor.restore(position);
  }

  next(): B {
    return this.#make(this.#cursor.next());
  }

  /**
   * The same global batches (this cursor: positions and restore are shared) cut into `worldSize`
   * contiguous slices; yields rank `rank`'s slice of each. A global batch with fewer items than
   * ranks (the short tail of a bucketing window) is skipped by every rank alike.
   * @example
   * ```ts
   * const mine = train.batches({ batchSize: 128, seed: 1 }).shard(rank, 4); // 32 sentences per batch
   * ```
   */
  shard(rank: number, worldSize: number): CursorBatches<B> {
    const world = expectInteger(worldSize, 'worldSize', 1);
    const r = expectInteger(rank, 'rank', 0, world - 1);
    const cursor = this.#cursor;
    return new CursorBatches(
      {
        next: () => {
          for (;;) {
            const global = cursor.next();
            if (global.length >= world) return global.slice(Math.floor((r * global.length) / world), Math.floor(((r + 1) * global.length) / world));
          }
        },
        get position() {
          return cursor.position;
        },
        restore: (position: DataPosition) => cursor.restore(position),
      },
      this.#make,
    );
  }
}
