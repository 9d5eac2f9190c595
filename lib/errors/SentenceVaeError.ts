/** Base class of every error sentencevae throws. `code` is stable; match on it or on the class. */
export class SentenceVaeError extends Error {
  override name = 'SentenceVaeError';
  readonly code: string;

  constructor(message: string, code = 'ERR_SVAE', options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
