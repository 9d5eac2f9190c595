import { SentenceVaeError } from './SentenceVaeError.js';

/** A tensor or array has the wrong shape or element count. */
export class ShapeError extends SentenceVaeError {
  override name = 'ShapeError';

  constructor(message: string, code = 'ERR_SVAE_SHAPE', options?: ErrorOptions) {
    super(message, code, options);
  }
}
