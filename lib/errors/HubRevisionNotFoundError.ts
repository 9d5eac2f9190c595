import { HubError } from './HubError.js';

/** The repository exists but has no branch, tag or commit named `revision`. */
export class HubRevisionNotFoundError extends HubError {
  override name = 'HubRevisionNotFoundError';

  constructor(message: string, where: { repo: string; revision: string }, options?: ErrorOptions) {
    super(message, where, 'ERR_SVAE_HUB_REVISION_NOT_FOUND', options);
  }
}
