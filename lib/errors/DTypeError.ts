import { SentenceVaeError } from './SentenceVaeError.js';

/** A dtype is unknown, or data does not match the dtype asked for. */
export class DTypeError extends SentenceVaeError {
  override name = 'DTypeError';

  constructor(message: string, code = 'ERR_SVAE_DTYPE', options?: ErrorOptions) {
    super(message, code, options);
  }
}
