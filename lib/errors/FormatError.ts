import { SentenceVaeError } from './SentenceVaeError.js';

/** A file is missing, truncated or not in the expected format. `path` (and `line`, where known) say where. */
export class FormatError extends SentenceVaeError {
  override name = 'FormatError';
  readonly path: string | undefined;
  readonly line: number | undefined;

  constructor(message: string, where: { path?: string; line?: number } = {}, options?: ErrorOptions) {
    super(message, 'ERR_SVAE_FORMAT', options);
    this.path = where.path;
    this.line = where.line;
  }
}
