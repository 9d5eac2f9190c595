import { ShapeError } from '../errors/ShapeError.js';
import type { Tensor } from '../tensor/Tensor.js';

/**
 * Checks that `vectors` is [rows, hidden]: one vector per sentence. Without this a batch of 1
 * vector would broadcast over every sentence instead of being an error.
 */
export function checkVectors(vectors: Tensor, rows: number, hidden: number, name: string): void {
  const shape = vectors.shape;
  if (shape.length !== 2 || shape[0] !== rows || shape[1] !== hidden) {
    throw new ShapeError(`Expected ${name} of shape [${rows}, ${hidden}] (one vector per sentence) but received [${shape.join(', ')}]`);
  }
}
