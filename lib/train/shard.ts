import { describe } from '../validate.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import type { BatchSource } from './TrainableModel.js';

/**
 * Rank `rank`'s view of a batch source in a distributed run: the same global batches, this rank's
 * slice of each. Positions stay those of the global batches, so a checkpoint resumes on any
 * world size (docs/distributed.md).
 */
export function shardedSource<Batch>(source: BatchSource<Batch>, rank: number, worldSize: number): BatchSource<Batch> {
  if (typeof source?.shard !== 'function') {
    throw new InvalidArgumentError(
      `Expected a batch source with shard(rank, worldSize) (dataset.batches(...)) for batches in a distributed run but received ${describe(source)}`,
    );
  }
  return source.shard(rank, worldSize);
}
