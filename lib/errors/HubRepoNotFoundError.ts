import { HubError } from './HubError.js';

/**
 * The Hub has no repository of that name (HTTP 404, or 401 "RepoNotFound": the Hub answers
 * this way for private repositories too when no token is given). The message names the repo.
 */
export class HubRepoNotFoundError extends HubError {
  override name = 'HubRepoNotFoundError';

  constructor(message: string, where: { repo: string; revision: string }, options?: ErrorOptions) {
    super(message, where, 'ERR_SVAE_HUB_REPO_NOT_FOUND', options);
  }
}
