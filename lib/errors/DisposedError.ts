import { SentenceVaeError } from './SentenceVaeError.js';

/** An object was used after dispose(). */
export class DisposedError extends SentenceVaeError {
  override name = 'DisposedError';

  constructor(message: string, code = 'ERR_SVAE_DISPOSED', options?: ErrorOptions) {
    super(message, code, options);
  }
}
