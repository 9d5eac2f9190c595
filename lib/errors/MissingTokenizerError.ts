import { SentenceVaeError } from './SentenceVaeError.js';

/**
 * A text API (generate, stream, evaluate of texts) was called on a model loaded without a
 * tokenizer (e.g. an OPT folder with weights but no tokenizer files). The message says how to
 * give one; the id-level APIs work without it.
 */
export class MissingTokenizerError extends SentenceVaeError {
  override name = 'MissingTokenizerError';

  constructor(message: string, code = 'ERR_SVAE_NO_TOKENIZER', options?: ErrorOptions) {
    super(message, code, options);
  }
}
