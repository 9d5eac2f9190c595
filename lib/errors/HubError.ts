import { SentenceVaeError } from './SentenceVaeError.js';

/**
 * Base of the errors of `fromPretrained` / `hf:` model ids (lib/io/hub/). `repo` is the
 * repository ("ORG/NAME") and `revision` the branch, tag or commit asked for.
 */
export class HubError extends SentenceVaeError {
  override name = 'HubError';
  readonly repo: string;
  readonly revision: string;

  constructor(message: string, where: { repo: string; revision: string }, code = 'ERR_SVAE_HUB', options?: ErrorOptions) {
    super(message, code, options);
    this.repo = where.repo;
    this.revision = where.revision;
  }
}
