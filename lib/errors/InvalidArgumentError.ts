import { SentenceVaeError } from './SentenceVaeError.js';

/** An argument has the wrong type or value (the message says what was expected and what was received). */
export class InvalidArgumentError extends SentenceVaeError {
  override name = 'InvalidArgumentError';

  constructor(message: string, code = 'ERR_SVAE_INVALID_ARGUMENT', options?: ErrorOptions) {
    super(message, code, options);
  }
}
